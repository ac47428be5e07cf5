"""`manage.py seed_demo`: demo users and tasks for development and benchmarks."""

import time
from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from tasks.services import DEMO_EMAIL_DOMAIN, RealUsersPresent, demo_data_seed


class Command(BaseCommand):
    help = (
        f"Replaces the demo users (emails under @{DEMO_EMAIL_DOMAIN}) and their tasks with "
        "generated ones, the same for a given seed."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--users", type=int, required=True, help="Demo users to create.")
        parser.add_argument(
            "--tasks", type=int, required=True, help="Tasks spread unevenly across them."
        )
        parser.add_argument(
            "--seed", type=int, default=0, help="Same seed, same data (default: 0)."
        )
        parser.add_argument(
            "--heavy-user-tasks",
            type=int,
            default=0,
            metavar="K",
            help=f"Give one more user (heavy@{DEMO_EMAIL_DOMAIN}) K tasks (default: 0).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even though the database holds users who are not demo users.",
        )

    def handle(
        self,
        *args: object,
        users: int,
        tasks: int,
        seed: int,
        heavy_user_tasks: int,
        force: bool,
        **options: object,
    ) -> None:
        if users < 1:
            raise CommandError("--users must be at least 1.")
        if tasks < 0 or heavy_user_tasks < 0:
            raise CommandError("--tasks and --heavy-user-tasks cannot be negative.")

        started = time.monotonic()
        try:
            result = demo_data_seed(
                users=users,
                tasks=tasks,
                seed=seed,
                heavy_user_tasks=heavy_user_tasks,
                alongside_real_users=force,
                on_progress=self._report_progress,
            )
        except RealUsersPresent as exc:
            raise CommandError(
                "The database holds users who are not demo users: is this production? "
                "Pass --force to seed anyway."
            ) from exc

        if result.users_replaced:
            self.stdout.write(f"Replaced {result.users_replaced} earlier demo users.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {result.users_created} demo users and {result.tasks_created} tasks "
                f"in {time.monotonic() - started:.1f} s."
            )
        )

    def _report_progress(self, done: int, total: int) -> None:
        self.stdout.write(f"  tasks: {done}/{total}")
