"""`manage.py task_stats`: how many users and tasks the service holds, and who has the most."""

import json
from argparse import ArgumentParser
from dataclasses import asdict

from django.core.management.base import BaseCommand, CommandError

from tasks.services import TaskStats, task_stats_collect

DEFAULT_TOP = 10


class Command(BaseCommand):
    help = "Prints counts of users and tasks, tasks per user, and the busiest users."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print one JSON object."
        )
        parser.add_argument(
            "--top",
            type=int,
            default=DEFAULT_TOP,
            metavar="N",
            help=f"How many of the busiest users to list (default: {DEFAULT_TOP}).",
        )

    def handle(self, *args: object, as_json: bool, top: int, **options: object) -> None:
        if top < 1:
            raise CommandError("--top must be a positive number of users.")
        stats = task_stats_collect(top=top)
        if as_json:
            self.stdout.write(json.dumps(asdict(stats)))
        else:
            self._write_table(stats)

    def _write_table(self, stats: TaskStats) -> None:
        self.stdout.write(f"Users:               {stats.users}")
        self.stdout.write(f"Tasks:               {stats.tasks}")
        self.stdout.write(
            f"Completed:           {stats.completed_tasks} ({stats.completed_share:.1%})"
        )
        self.stdout.write(
            f"Tasks per user:      max {stats.max_tasks_per_user}, "
            f"median {stats.median_tasks_per_user:g}"
        )
        self.stdout.write("Busiest users:")
        for user in stats.busiest_users:
            self.stdout.write(f"  {user.tasks:>8}  {user.id}  {user.email or '-'}")
