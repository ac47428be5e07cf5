"""`manage.py wait_for_db`: blocks until the database answers, for start-up scripts."""

import time
from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections


class Command(BaseCommand):
    help = "Waits until the database answers a query; fails if it does not within the timeout."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--timeout",
            type=float,
            default=60.0,
            metavar="SECONDS",
            help="Give up after this long (default: 60).",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            metavar="SECONDS",
            help="Pause between attempts (default: 1).",
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help=f"The connection to wait for (default: {DEFAULT_DB_ALIAS!r}).",
        )

    def handle(
        self, *args: object, timeout: float, interval: float, database: str, **options: object
    ) -> None:
        if timeout <= 0 or interval <= 0:
            raise CommandError("--timeout and --interval must be positive numbers of seconds.")
        if database not in connections:
            raise CommandError(f"There is no database connection named {database!r}.")

        # Infrastructure, not an operation on tasks: so no service function for it.
        connection = connections[database]
        deadline = time.monotonic() + timeout
        while True:
            try:
                connection.ensure_connection()
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
            except DatabaseError as exc:
                # A half-open connection would be reused as is by the next attempt.
                connection.close()
                if time.monotonic() + interval > deadline:
                    raise CommandError(
                        f"The database {database!r} did not answer within {timeout:g} s: {exc}"
                    ) from exc
                self.stderr.write(f"Database {database!r} unavailable, retrying: {exc}")
                time.sleep(interval)
            else:
                self.stdout.write(self.style.SUCCESS(f"Database {database!r} is available."))
                return
