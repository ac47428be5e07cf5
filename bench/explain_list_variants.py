"""EXPLAIN ANALYZE of every list variant for the heaviest user, written to docs/query-plans.md.

Seeds a dedicated PostgreSQL database (10k users, 100k tasks, one more user with 50k), then
runs the exact SQL of each list variant's first page (the view's own code builds it: query
parameters, filters, sort, page size) under EXPLAIN (ANALYZE, BUFFERS), for the heavy user.
It fails when a variant reads tasks_task sequentially, when a scan of tasks_task is not
bounded by the owner in its index condition (it would read other users' rows), or when a
first page takes 20 ms or more in the database (median of several runs).

    python bench/explain_list_variants.py            # seed, measure, write the report
    python bench/explain_list_variants.py --skip-seed
"""

import argparse
import os
import secrets
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from run import recreate_database  # bench/run.py, beside this script

REPO_ROOT = Path(__file__).resolve().parent.parent
REPORT = REPO_ROOT / "docs" / "query-plans.md"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/todo_plans"
SEED_ARGS = ["--users", "10000", "--tasks", "100000", "--heavy-user-tasks", "50000", "--seed", "1"]
FIRST_PAGE_BUDGET_MS = 20.0
RUNS = 7

# Each variant is a query string of the list, as a client sends it.
FIRST_PAGES = [
    *(f"sort={sort}" for sort in ["-created", "created", "-updated", "updated", "title", "-title"]),
    *(f"sort={sort}" for sort in ["due", "-due", "priority", "-priority"]),
    "q=invoice",
    "q=tax+return",
    "q=the",
    "q=quokka",
    "q=LISBON&sort=due",
    "tag=travel",
    "tag=garden",
    "tag=work&tag=urgent",
    "priority=high",
    "priority=high,medium&sort=-priority",
    "overdue=true",
    "overdue=true&sort=due",
    "overdue=false",
    "due_after=2026-10-01T00:00:00Z&due_before=2026-10-08T00:00:00Z&sort=due",
    "status=pending&tag=home&priority=high&sort=due",
]
# Pages deep in the list, in the due sorts whose cursor crosses the tasks without a due date:
# (query string, how many tasks before the page).
DEEP_PAGES = [
    ("sort=due", 10_000),
    ("sort=due", 40_000),
    ("sort=-due", 10_000),
    ("sort=-due", 40_000),
    ("sort=-priority", 40_000),
]


@dataclass
class Measurement:
    """One variant's plan and its database execution times."""

    query_string: str
    skipped: int
    plan: str
    times_ms: list[float]
    problems: list[str]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times_ms)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--skip-seed", action="store_true", help="Measure the data already there.")
    args = parser.parse_args()

    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        # Nothing is signed for a client here; the settings only need a key.
        "SECRET_KEY": os.environ.get("SECRET_KEY", secrets.token_urlsafe(50)),
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    if not args.skip_seed:
        recreate_database(args.database_url)
        manage = [sys.executable, str(REPO_ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--no-input"], env=env, check=True)  # noqa: S603
        subprocess.run([*manage, "seed_demo", *SEED_ARGS, "--force"], env=env, check=True)  # noqa: S603

    sys.path.insert(0, str(REPO_ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "todo_project.settings")
    import django

    django.setup()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE tasks_task")

    measurements = [measure(query, skipped=0) for query in FIRST_PAGES]
    measurements += [measure(query, skipped=skipped) for query, skipped in DEEP_PAGES]
    REPORT.write_text(report(measurements, seed_args=SEED_ARGS))
    failures = [
        f"{m.query_string} (after {m.skipped}): {problem}"
        for m in measurements
        for problem in m.problems
    ]
    print(f"Wrote {REPORT.relative_to(REPO_ROOT)}: {len(measurements)} variants.")
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    return 1 if failures else 0


def measure(query_string: str, *, skipped: int) -> Measurement:
    """EXPLAIN ANALYZE of the page of the list that follows `skipped` tasks."""
    from django.db import connection
    from django.http import QueryDict
    from django.utils import timezone

    from tasks.filters import tasks_where
    from tasks.models import Task
    from tasks.serializers import TaskListQuerySerializer
    from tasks.services import DEMO_HEAVY_USER_EMAIL
    from tasks.sorting import JSON_PAGE_SELECTS, cursor_after, page_query, paginate

    query = TaskListQuerySerializer(data=QueryDict(query_string))
    query.is_valid(raise_exception=True)
    params = query.validated_data
    # What TaskViewSet.list runs: the owner's tasks, filtered, then one page.
    heavy_user_tasks = Task.objects.filter(user__email=DEMO_HEAVY_USER_EMAIL)
    owner_id = heavy_user_tasks.values_list("user_id", flat=True).first()
    tasks = tasks_where(user_id=owner_id, params=params, now=timezone.now(), connection=connection)
    cursor_value = None
    if skipped:
        before = paginate(tasks, sort_name=params["sort"], limit=skipped, cursor=None).tasks
        cursor_value = cursor_after(before[skipped - 1], sort_name=params["sort"])
    sql, sql_params = page_query(
        tasks,
        JSON_PAGE_SELECTS[params["sort"]],
        sort_name=params["sort"],
        limit=params["limit"],
        cursor=cursor_value,
    )

    with connection.cursor() as cursor:
        times_ms = []
        for _ in range(RUNS):
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", sql_params)
            (document,) = cursor.fetchone()
            times_ms.append(document[0]["Execution Time"])
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", sql_params)
        plan = "\n".join(line for (line,) in cursor.fetchall())

    problems = [
        f"{node['Node Type']} reads tasks_task {why}"
        for node, why in scans_beyond_owner(document[0]["Plan"])
    ]
    measurement = Measurement(query_string, skipped, plan, times_ms, problems)
    if not skipped and measurement.median_ms >= FIRST_PAGE_BUDGET_MS:
        problems.append(f"first page took {measurement.median_ms:.2f} ms")
    print(
        f"{measurement.median_ms:7.2f} ms  {query_string}"
        + (f" after {skipped}" if skipped else "")
    )
    return measurement


def scans_beyond_owner(node: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """The plan's scans that may read other users' tasks: sequential, or not bound by owner."""
    found = []
    if node.get("Relation Name") == "tasks_task" and node["Node Type"] == "Seq Scan":
        found.append((node, "sequentially"))
    index_scan = node["Node Type"] in ("Index Scan", "Index Only Scan", "Bitmap Index Scan")
    if index_scan and "user_id" not in node.get("Index Cond", ""):
        found.append((node, f"through {node['Index Name']} without the owner in its condition"))
    for child in node.get("Plans", []):
        found += scans_beyond_owner(child)
    return found


def report(measurements: list[Measurement], *, seed_args: list[str]) -> str:
    """docs/query-plans.md: a summary table, then every plan."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        (version,) = cursor.fetchone()
    lines = [
        "# Query plans of the task list",
        "",
        "Written by `python bench/explain_list_variants.py` (see `bench/README.md`); do not",
        "edit by hand. Data: `manage.py seed_demo "
        + " ".join(seed_args)
        + " --force`, then VACUUM ANALYZE:",
        "10k users with 100k tasks, plus the heavy user with 50k. Every plan is the heavy user's,",
        "for the exact SQL the list runs (page size 100, so LIMIT 101). Times are PostgreSQL's",
        f"execution times, the median of {RUNS} runs; the budget of a first page is",
        f"{FIRST_PAGE_BUDGET_MS:.0f} ms.",
        "",
        f"Server: {version.split(',')[0]}.",
        "",
        "Where many tasks match, the planner walks the sort's index and filters (first pages",
        "stop after 101 matches); where few do, it reads the GIN indexes, led by the owner.",
        "Deep pages cost more than first pages in two sorts: in `due`/`-due` the cursor's",
        "condition ORs in the tasks without a due date, and in `priority`/`-priority` a",
        "cursor inside a tie (4 values for 50k tasks) filters the tie's earlier rows. Both",
        "stay exact and within a few milliseconds, as the last rows of the table show.",
        "",
        "| query string | page after | median ms | scans only the owner's rows |",
        "| --- | ---: | ---: | --- |",
    ]
    for m in measurements:
        lines.append(
            f"| `{m.query_string}` | {m.skipped} | {m.median_ms:.2f} | "
            f"{'yes' if not m.problems else '; '.join(m.problems)} |"
        )
    for m in measurements:
        title = m.query_string + (f", after {m.skipped} tasks" if m.skipped else ", first page")
        lines += ["", f"## `{title}`", "", "```", m.plan, "```"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
