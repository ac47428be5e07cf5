"""`manage.py purge_completed`: deletes completed tasks nobody has touched for a while."""

from argparse import ArgumentParser
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from tasks.services import tasks_purge_completed

DEFAULT_BATCH_SIZE = 1000


class Command(BaseCommand):
    help = "Deletes completed tasks not updated for a number of days, in short batches."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            required=True,
            metavar="DAYS",
            help="Purge completed tasks last updated more than DAYS days ago.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count what would be deleted, and delete nothing.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Tasks deleted per transaction (default: {DEFAULT_BATCH_SIZE}).",
        )

    def handle(
        self, *args: object, older_than: int, dry_run: bool, batch_size: int, **options: object
    ) -> None:
        if older_than < 1:
            raise CommandError("--older-than must be a positive number of days.")
        if batch_size < 1:
            raise CommandError("--batch-size must be a positive number of tasks.")

        self._batches = 0
        total = tasks_purge_completed(
            older_than=timedelta(days=older_than),
            batch_size=batch_size,
            dry_run=dry_run,
            on_batch=self._report_batch,
        )
        if dry_run:
            self.stdout.write(
                f"Dry run: would delete {total} completed tasks "
                f"not updated in the last {older_than} days."
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Deleted {total} completed tasks not updated in the last {older_than} days."
                )
            )

    def _report_batch(self, deleted: int) -> None:
        self._batches += 1
        self.stdout.write(f"  batch {self._batches}: deleted {deleted} tasks")
