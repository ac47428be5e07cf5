"""Operations on tasks that are more than a save, shared by the API, the admin and commands."""

import base64
import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate, islice

from django.contrib.auth.hashers import make_password
from django.db import connections, transaction
from django.db.models import Case, Count, Expression, F, Q, QuerySet, Value, When
from django.db.models.sql import UpdateQuery
from django.utils import timezone

from tasks.models import Priority, Task
from tasks.rows import MAX_TASK_ID, TASK_COLUMNS, TaskRow, fetch_task_rows
from users.models import User


def tasks_set_completed(*, tasks: QuerySet[Task], completed: bool | None) -> int:
    """Marks the tasks completed or pending, or flips each one when `completed` is None.

    One UPDATE, so concurrent toggles of a task never overwrite each other: N toggles end
    in the state N implies. `completed_at` changes in the same UPDATE. Returns how many
    tasks changed.
    """
    return tasks.update(**completion_changes(completed=completed))


def task_set_completed(*, user_id: str, task_id: int, completed: bool | None) -> TaskRow | None:
    """tasks_set_completed for one of the user's tasks, returning the task as it is after.

    One statement (UPDATE ... RETURNING): no transaction, and one round trip where an
    UPDATE and then a SELECT in a transaction took four. None when the user has no such task.
    """
    if not 0 < task_id <= MAX_TASK_ID:
        return None
    task = Task.objects.filter(user_id=user_id, pk=task_id)
    # The UPDATE that QuerySet.update() would send, compiled from the same expressions.
    update = task.query.chain(UpdateQuery)
    update.add_update_values(completion_changes(completed=completed))
    sql, params = update.get_compiler(task.db).as_sql()
    rows = fetch_task_rows(f"{sql} RETURNING {TASK_COLUMNS}", list(params))
    return rows[0] if rows else None


def completion_changes(*, completed: bool | None) -> dict[str, Expression]:
    """The fields an UPDATE that sets `completed` (or flips it, when None) writes."""
    new_state = (
        Case(When(completed=True, then=Value(False)), default=Value(True))
        if completed is None
        else Value(completed)
    )
    return {
        "completed": new_state,
        "completed_at": completed_at_after(completed=completed),
        "updated_at": Value(timezone.now()),
    }


def completed_at_after(*, completed: bool | None) -> Expression:
    """`completed_at` for the UPDATE that sets `completed` (or flips it, when None).

    Now for a task that becomes completed, its original time for one completed already, and
    null for one reopened. Read from the row as the UPDATE finds it, so that a concurrent
    change cannot leave a completed task without its time.
    """
    now = Value(timezone.now())
    if completed is None:
        return Case(When(completed=True, then=Value(None)), default=now)
    if completed:
        return Case(When(completed=True, then=F("completed_at")), default=now)
    return Value(None)


@dataclass(frozen=True)
class TagCount:
    """A tag and how many of a user's tasks carry it."""

    tag: str
    count: int


# One statement per database: expanding a JSON array into rows is vendor-specific SQL.
_TAG_COUNTS_SQL = {
    "postgresql": """
        SELECT tag, COUNT(*) FROM tasks_task, jsonb_array_elements_text(tags) AS tag
        WHERE user_id = %s GROUP BY tag ORDER BY COUNT(*) DESC, tag
    """,
    "sqlite": """
        SELECT tag.value, COUNT(*) FROM tasks_task, json_each(tasks_task.tags) AS tag
        WHERE user_id = %s GROUP BY tag.value ORDER BY COUNT(*) DESC, tag.value
    """,
}


def task_tags_count(*, user_id: str) -> list[TagCount]:
    """The user's tags, each with how many of their tasks carry it, most used first."""
    connection = connections[Task.objects.db]
    with connection.cursor() as cursor:
        cursor.execute(_TAG_COUNTS_SQL[connection.vendor], [user_id])
        return [TagCount(tag=tag, count=count) for tag, count in cursor.fetchall()]


# --- Demo data ------------------------------------------------------------------------

# RFC 2606 reserves .invalid: no real person can hold an address there.
DEMO_EMAIL_DOMAIN = "demo.invalid"
DEMO_HEAVY_USER_EMAIL = f"heavy@{DEMO_EMAIL_DOMAIN}"
# Seeded timestamps lie in the DEMO_TASK_SPAN before this fixed instant, so that a seed gives
# the same data on every run, whatever the day.
DEMO_REFERENCE_TIME = datetime(2026, 11, 1, tzinfo=UTC)
DEMO_TASK_SPAN = timedelta(days=90)
DEMO_BATCH_SIZE = 5000
# Pareto's 80/20 shape: most users have a handful of tasks, a few have thousands.
_TASKS_PER_USER_SHAPE = 1.16

_FIRST_NAMES = (
    "Ada", "Amara", "Ben", "Chen", "Diego", "Elena", "Farah", "Grace", "Hiro", "Ines",
    "Jonas", "Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sam",
)  # fmt: skip
_LAST_NAMES = (
    "Adeyemi", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito",
    "Jensen", "Kowalski", "Lopez", "Moreau", "Novak", "Okafor", "Patel", "Rossi", "Silva",
)  # fmt: skip
_TITLE_VERBS = (
    "Book", "Buy", "Call", "Cancel", "Clean", "Email", "Finish", "Fix", "Order", "Pay",
    "Plan", "Prepare", "Read", "Renew", "Return", "Review", "Schedule", "Update", "Write",
)  # fmt: skip
_TITLE_OBJECTS = (
    "the dentist", "groceries", "the quarterly report", "car insurance", "the leaking tap",
    "flights to Lisbon", "the team offsite", "a birthday present", "the gym membership",
    "the tax return", "the blog post", "the project proposal", "the electricity bill",
    "the library books", "the garage", "the passport", "slides for Monday",
    "the budget spreadsheet", "the client invoice", "the kitchen shelves",
)  # fmt: skip
# Empty strings weight the draw: most titles and descriptions are short or empty.
_TITLE_WHEN = ("", "", "", "today", "tomorrow", "this week", "before Friday", "next month")
_DESCRIPTIONS = (
    "", "", "", "", "Ask Sam for the details.", "Check the shared folder first.",
    "Low priority.", "Needs the receipt.", "Remember the discount code.",
)  # fmt: skip
_TAGS = (
    "home", "work", "errands", "finance", "health", "family", "travel", "shopping",
    "urgent", "someday", "reading", "car",
)  # fmt: skip
# Most tasks have no priority and a tag or none; about half have a due date.
_PRIORITY_WEIGHTS = {Priority.NONE: 50, Priority.LOW: 20, Priority.MEDIUM: 20, Priority.HIGH: 10}
_TAG_COUNT_WEIGHTS = {0: 40, 1: 35, 2: 18, 3: 7}
_DUE_SHARE = 0.5
_DUE_WITHIN = timedelta(days=30)


class RealUsersPresent(Exception):
    """Seeding was refused: the database holds users who are not demo users."""


@dataclass(frozen=True)
class DemoSeedResult:
    """What a seeding run did."""

    users_created: int
    tasks_created: int
    users_replaced: int


def demo_users() -> QuerySet[User]:
    """The users that demo_data_seed created (and only those)."""
    return User.objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}")


def demo_data_seed(
    *,
    users: int,
    tasks: int,
    seed: int,
    heavy_user_tasks: int = 0,
    alongside_real_users: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> DemoSeedResult:
    """Replaces the demo users and their tasks with generated ones, the same for a given seed.

    Demo users have emails under @demo.invalid and unusable passwords. Tasks are spread
    unevenly (many light users, a few heavy ones), created over the 90 days before
    DEMO_REFERENCE_TIME, older ones more often completed, with priorities, tags from a small
    vocabulary and (about half of them) due dates. With `heavy_user_tasks`, one more
    user (heavy@demo.invalid) gets that many tasks. `on_progress(done, total)` follows the
    tasks inserted. Refuses (RealUsersPresent) a database with other users, unless
    `alongside_real_users`.
    """
    if tasks and not users:
        raise ValueError("Tasks need at least one user to own them.")
    rng = random.Random(seed)  # noqa: S311 - demo data must be reproducible, not secret
    # One transaction: a failed run leaves the previous demo data, and inserts commit once.
    with transaction.atomic():
        if not alongside_real_users and User.objects.exclude(pk__in=demo_users()).exists():
            raise RealUsersPresent()
        _, deleted_per_model = demo_users().delete()

        # One unusable password for all: hashing one per user would take minutes.
        password = make_password(None)
        new_users = [_demo_user(rng, password, number=n) for n in range(users)]
        weights = [rng.paretovariate(_TASKS_PER_USER_SHAPE) for _ in new_users]
        owner_ids = (
            rng.choices([u.pk for u in new_users], cum_weights=list(accumulate(weights)), k=tasks)
            if tasks
            else []
        )
        if heavy_user_tasks:
            heavy_user = _demo_user(rng, password, number=users, email=DEMO_HEAVY_USER_EMAIL)
            new_users.append(heavy_user)
            owner_ids += [heavy_user.pk] * heavy_user_tasks
        User.objects.bulk_create(new_users, batch_size=DEMO_BATCH_SIZE)

        new_tasks = (_demo_task(rng, owner_id) for owner_id in owner_ids)
        done = 0
        while batch := list(islice(new_tasks, DEMO_BATCH_SIZE)):
            Task.objects.bulk_create(batch)
            done += len(batch)
            if on_progress:
                on_progress(done, len(owner_ids))
        # bulk_create stamps updated_at with the current time (auto_now); the seeded
        # created_at makes it the same on every run.
        Task.objects.filter(user__in=demo_users()).update(updated_at=F("created_at"))

    return DemoSeedResult(
        users_created=len(new_users),
        tasks_created=len(owner_ids),
        users_replaced=deleted_per_model.get(User._meta.label, 0),
    )


def _demo_user(rng: random.Random, password: str, *, number: int, email: str | None = None) -> User:
    first_name, last_name = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
    return User(
        # The form of a registered user's id (22 URL-safe characters), drawn from the seed.
        id=base64.urlsafe_b64encode(rng.randbytes(16)).rstrip(b"=").decode(),
        email=email or f"{first_name}.{last_name}.{number}@{DEMO_EMAIL_DOMAIN}".lower(),
        name=f"{first_name} {last_name}",
        password=password,
        date_joined=DEMO_REFERENCE_TIME - DEMO_TASK_SPAN - timedelta(days=365 * rng.random()),
    )


def _demo_task(rng: random.Random, owner_id: str) -> Task:
    age = DEMO_TASK_SPAN * rng.random()
    created_at = DEMO_REFERENCE_TIME - age
    title = f"{rng.choice(_TITLE_VERBS)} {rng.choice(_TITLE_OBJECTS)} {rng.choice(_TITLE_WHEN)}"
    completed = rng.random() < 0.2 + 0.6 * (age / DEMO_TASK_SPAN)
    (tag_count,) = rng.choices(list(_TAG_COUNT_WEIGHTS), weights=_TAG_COUNT_WEIGHTS.values())
    (priority,) = rng.choices(list(_PRIORITY_WEIGHTS), weights=_PRIORITY_WEIGHTS.values())
    return Task(
        user_id=owner_id,
        title=title.strip(),
        description=rng.choice(_DESCRIPTIONS),
        completed=completed,
        completed_at=created_at + age * rng.random() if completed else None,
        priority=priority,
        tags=rng.sample(_TAGS, k=tag_count),
        due_at=created_at + _DUE_WITHIN * rng.random() if rng.random() < _DUE_SHARE else None,
        created_at=created_at,
    )


# --- Maintenance ----------------------------------------------------------------------


def tasks_purge_completed(
    *,
    older_than: timedelta,
    batch_size: int,
    dry_run: bool = False,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Deletes the completed tasks not updated for `older_than`; returns how many (or would).

    Batch by batch in primary key order, each batch its own short transaction, so that the
    table is never locked for long and a concurrent request waits at most one batch.
    `on_batch(count)` follows each batch deleted.
    """
    purgeable = Task.objects.filter(completed=True, updated_at__lt=timezone.now() - older_than)
    if dry_run:
        return purgeable.count()
    total = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            batch = list(
                purgeable.filter(pk__gt=last_pk)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not batch:
                return total
            # Filtered again: a task reopened or edited since the SELECT is kept.
            deleted, _ = purgeable.filter(pk__in=batch).delete()
        total += deleted
        last_pk = batch[-1]
        if on_batch:
            on_batch(deleted)


@dataclass(frozen=True)
class BusyUser:
    """A user and how many tasks they have."""

    id: str
    email: str | None
    tasks: int


@dataclass(frozen=True)
class TaskStats:
    """Counts over the whole service, for operators."""

    users: int
    tasks: int
    completed_tasks: int
    completed_share: float
    max_tasks_per_user: int
    median_tasks_per_user: float
    busiest_users: list[BusyUser]


def task_stats_collect(*, top: int) -> TaskStats:
    """Users, tasks, the completed share, tasks per user and the `top` busiest users.

    Counted by the database; only the per-user counts (one integer per user) come back to
    compute the median.
    """
    totals = Task.objects.aggregate(
        tasks=Count("pk"), completed=Count("pk", filter=Q(completed=True))
    )
    users_by_task_count = User.objects.annotate(task_count=Count("tasks")).order_by(
        "-task_count", "pk"
    )
    per_user = list(users_by_task_count.values_list("task_count", flat=True))
    busiest = users_by_task_count.values_list("pk", "email", "task_count")[:top]
    return TaskStats(
        users=len(per_user),
        tasks=totals["tasks"],
        completed_tasks=totals["completed"],
        completed_share=totals["completed"] / totals["tasks"] if totals["tasks"] else 0.0,
        max_tasks_per_user=per_user[0] if per_user else 0,
        median_tasks_per_user=statistics.median(per_user) if per_user else 0.0,
        busiest_users=[BusyUser(id=pk, email=email, tasks=count) for pk, email, count in busiest],
    )
