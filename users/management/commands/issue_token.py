"""`manage.py issue_token`: an access token for a user, for support and scripts."""

from argparse import ArgumentParser
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from users.models import User, normalize_email
from users.tokens import issue_access_token

# Access tokens cannot be revoked: a long-lived one that leaks stays valid until it
# expires, so scripts get a day at most and refresh by running the command again.
MAX_MINUTES = 24 * 60


class Command(BaseCommand):
    help = "Prints an access token of the service's own for a user, found by email or id."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "user", metavar="EMAIL_OR_ID", help="The user's email (any case) or id."
        )
        parser.add_argument(
            "--minutes",
            type=int,
            default=settings.JWT_ACCESS_TOKEN_MINUTES,
            help=(
                "How long the token is valid "
                f"(default: {settings.JWT_ACCESS_TOKEN_MINUTES}, at most {MAX_MINUTES})."
            ),
        )

    def handle(self, *args: object, user: str, minutes: int, **options: object) -> None:
        if not 1 <= minutes <= MAX_MINUTES:
            raise CommandError(f"--minutes must be between 1 and {MAX_MINUTES}.")
        # An id never contains "@" and an email always does, so one lookup is unambiguous.
        lookup = {"email": normalize_email(user)} if "@" in user else {"pk": user}
        found = User.objects.filter(**lookup).first()
        if found is None:
            raise CommandError(f"No user with the email or id {user!r}.")
        if not found.is_active:
            raise CommandError(f"The user {found.pk} is inactive: their tokens would be refused.")

        # The token alone on stdout, so that scripts can capture it; the rest to stderr.
        self.stdout.write(issue_access_token(user_id=found.pk, lifetime=timedelta(minutes=minutes)))
        self.stderr.write(f"Access token for {found.pk} ({found.email}), valid {minutes} minutes.")
