"""The maintenance commands: seed_demo, purge_completed, task_stats and wait_for_db."""

import json
import statistics
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.hashers import is_password_usable
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import ConnectionHandler
from django.db.models import Count, F
from django.utils import timezone
from rest_framework.test import APIClient

from tasks.management.commands import wait_for_db
from tasks.models import Task
from tasks.services import DEMO_REFERENCE_TIME, DEMO_TASK_SPAN, demo_users
from tasks.tests.factories import TaskFactory
from users.models import User
from users.tests.factories import UserFactory, access_token_for


def run(*args: str) -> str:
    """Runs a command as an operator would, and returns what it printed on stdout."""
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def demo_snapshot() -> list[tuple]:
    """Everything a seed decides about the demo data, in a stable order."""
    return list(
        Task.objects.filter(user__in=demo_users())
        .order_by("user__email", "created_at", "title")
        .values_list("user_id", "user__email", "title", "completed", "created_at", "updated_at")
    )


def last_updated_days_ago(task: Task, days: int) -> None:
    """Backdates a task's last update (update() leaves auto_now alone)."""
    Task.objects.filter(pk=task.pk).update(updated_at=timezone.now() - timedelta(days=days))


# --- seed_demo ------------------------------------------------------------------------


@pytest.mark.django_db
def test_seed_demo_creates_recognisable_demo_users_with_unusable_passwords():
    output = run("seed_demo", "--users", "20", "--tasks", "300")

    assert "tasks: 300/300" in output
    assert "Created 20 demo users and 300 tasks" in output
    users = list(User.objects.all())
    assert len(users) == 20
    assert all(user.email.endswith("@demo.invalid") for user in users)
    assert not any(is_password_usable(user.password) for user in users)
    assert Task.objects.count() == 300


@pytest.mark.django_db
def test_seed_demo_spreads_tasks_unevenly_over_the_ninety_days_before_the_reference_time():
    run("seed_demo", "--users", "50", "--tasks", "2000", "--seed", "7")

    per_user = list(User.objects.annotate(n=Count("tasks")).values_list("n", flat=True))
    assert max(per_user) > 5 * statistics.median(per_user)
    assert 0 < Task.objects.filter(completed=True).count() < 2000
    oldest = Task.objects.order_by("created_at").first()
    newest = Task.objects.order_by("created_at").last()
    assert oldest.created_at >= DEMO_REFERENCE_TIME - DEMO_TASK_SPAN
    assert newest.created_at <= DEMO_REFERENCE_TIME
    assert not Task.objects.exclude(updated_at=F("created_at")).exists()


@pytest.mark.django_db
def test_seed_demo_replaces_its_data_with_the_same_data_for_the_same_seed():
    run("seed_demo", "--users", "10", "--tasks", "200", "--seed", "3")
    first = demo_snapshot()

    output = run("seed_demo", "--users", "10", "--tasks", "200", "--seed", "3")

    assert "Replaced 10 earlier demo users." in output
    assert demo_snapshot() == first
    assert User.objects.count() == 10
    run("seed_demo", "--users", "10", "--tasks", "200", "--seed", "4")
    assert demo_snapshot() != first


@pytest.mark.django_db
def test_seed_demo_gives_one_more_user_the_heavy_user_tasks():
    output = run("seed_demo", "--users", "5", "--tasks", "20", "--heavy-user-tasks", "300")

    assert "Created 6 demo users and 320 tasks" in output
    heavy_user = User.objects.get(email="heavy@demo.invalid")
    assert heavy_user.tasks.count() == 300
    assert Task.objects.exclude(user=heavy_user).count() == 20


@pytest.mark.django_db
def test_seed_demo_refuses_a_database_that_holds_real_users(user):
    with pytest.raises(CommandError, match=r"not demo users.*--force"):
        run("seed_demo", "--users", "5", "--tasks", "10")

    assert list(User.objects.all()) == [user]
    assert not Task.objects.exists()


@pytest.mark.django_db
def test_seed_demo_with_force_seeds_beside_real_users_and_leaves_them_alone(user):
    task = TaskFactory(user=user)

    output = run("seed_demo", "--users", "5", "--tasks", "10", "--force")

    assert "Created 5 demo users and 10 tasks" in output
    assert demo_users().count() == 5
    assert list(user.tasks.all()) == [task]
    assert Task.objects.count() == 11


@pytest.mark.django_db
def test_a_demo_users_tasks_are_served_by_the_api():
    run("seed_demo", "--users", "5", "--tasks", "100", "--seed", "1")
    demo_user = User.objects.annotate(n=Count("tasks")).order_by("-n").first()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(demo_user)}")

    response = client.get(f"/api/{demo_user.pk}/tasks", {"limit": 500})

    assert response.status_code == 200
    assert sorted(task["id"] for task in response.json()) == sorted(
        demo_user.tasks.values_list("pk", flat=True)
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--users", "0", "--tasks", "5"], "--users must be at least 1"),
        (["--users", "2", "--tasks", "-1"], "cannot be negative"),
        (["--users", "2", "--tasks", "1", "--heavy-user-tasks", "-1"], "cannot be negative"),
        (["--users", "many", "--tasks", "1"], "invalid int value: 'many'"),
        (["--tasks", "1"], "the following arguments are required: --users"),
    ],
)
def test_seed_demo_refuses_bad_counts(args, message):
    with pytest.raises(CommandError, match=message):
        run("seed_demo", *args)

    assert not User.objects.exists()


# --- purge_completed ------------------------------------------------------------------


@pytest.mark.django_db
def test_purge_completed_deletes_only_completed_tasks_not_updated_for_that_long(user):
    old_completed = TaskFactory(user=user, completed=True)
    last_updated_days_ago(old_completed, 31)
    recent_completed = TaskFactory(user=user, completed=True)
    last_updated_days_ago(recent_completed, 29)
    old_pending = TaskFactory(user=user, completed=False)
    last_updated_days_ago(old_pending, 90)

    output = run("purge_completed", "--older-than", "30")

    assert "batch 1: deleted 1 tasks" in output
    assert "Deleted 1 completed tasks not updated in the last 30 days." in output
    assert set(Task.objects.all()) == {recent_completed, old_pending}


@pytest.mark.django_db
def test_purge_completed_deletes_in_batches_and_reports_each(user):
    for task in TaskFactory.create_batch(5, user=user, completed=True):
        last_updated_days_ago(task, 10)

    output = run("purge_completed", "--older-than", "7", "--batch-size", "2")

    assert output.splitlines() == [
        "  batch 1: deleted 2 tasks",
        "  batch 2: deleted 2 tasks",
        "  batch 3: deleted 1 tasks",
        "Deleted 5 completed tasks not updated in the last 7 days.",
    ]
    assert not Task.objects.exists()


@pytest.mark.django_db
def test_purge_completed_dry_run_counts_and_deletes_nothing(user):
    tasks = TaskFactory.create_batch(3, user=user, completed=True)
    for task in tasks:
        last_updated_days_ago(task, 10)

    output = run("purge_completed", "--older-than", "7", "--dry-run")

    assert output == ("Dry run: would delete 3 completed tasks not updated in the last 7 days.\n")
    assert Task.objects.count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--older-than", "0"], "--older-than must be a positive number of days"),
        (["--older-than", "-3"], "--older-than must be a positive number of days"),
        (["--older-than", "soon"], "invalid int value: 'soon'"),
        (["--older-than", "7", "--batch-size", "0"], "--batch-size must be a positive"),
        ([], "the following arguments are required: --older-than"),
    ],
)
def test_purge_completed_refuses_bad_arguments_and_deletes_nothing(user, args, message):
    task = TaskFactory(user=user, completed=True)
    last_updated_days_ago(task, 400)

    with pytest.raises(CommandError, match=message):
        run("purge_completed", *args)

    assert list(Task.objects.all()) == [task]


# --- task_stats -----------------------------------------------------------------------


@pytest.fixture
def three_users_with_four_tasks(db) -> list[User]:
    """Ann has 3 tasks (1 completed), Bob 1, Cy none."""
    ann, bob, cy = (UserFactory(email=f"{name}@example.com") for name in ("ann", "bob", "cy"))
    TaskFactory(user=ann, completed=True)
    TaskFactory.create_batch(2, user=ann)
    TaskFactory(user=bob)
    return [ann, bob, cy]


def test_task_stats_json_gives_counts_tasks_per_user_and_the_busiest_users(
    three_users_with_four_tasks, django_assert_num_queries
):
    ann, bob, _ = three_users_with_four_tasks

    # A fixed number of queries, however many users and tasks: the database counts.
    with django_assert_num_queries(3):
        output = run("task_stats", "--json", "--top", "2")

    assert json.loads(output) == {
        "users": 3,
        "tasks": 4,
        "completed_tasks": 1,
        "completed_share": 0.25,
        "max_tasks_per_user": 3,
        "median_tasks_per_user": 1,
        "busiest_users": [
            {"id": ann.pk, "email": "ann@example.com", "tasks": 3},
            {"id": bob.pk, "email": "bob@example.com", "tasks": 1},
        ],
    }


def test_task_stats_prints_a_table_for_people(three_users_with_four_tasks):
    ann, bob, cy = three_users_with_four_tasks

    output = run("task_stats")

    assert output.splitlines() == [
        "Users:               3",
        "Tasks:               4",
        "Completed:           1 (25.0%)",
        "Tasks per user:      max 3, median 1",
        "Busiest users:",
        f"         3  {ann.pk}  ann@example.com",
        f"         1  {bob.pk}  bob@example.com",
        f"         0  {cy.pk}  cy@example.com",
    ]


@pytest.mark.django_db
def test_task_stats_on_an_empty_database_reports_zeros():
    output = run("task_stats", "--json")

    assert json.loads(output) == {
        "users": 0,
        "tasks": 0,
        "completed_tasks": 0,
        "completed_share": 0.0,
        "max_tasks_per_user": 0,
        "median_tasks_per_user": 0.0,
        "busiest_users": [],
    }


@pytest.mark.django_db
@pytest.mark.parametrize("top", ["0", "-1"])
def test_task_stats_refuses_a_top_below_one(top):
    with pytest.raises(CommandError, match="--top must be a positive number"):
        run("task_stats", "--top", top)


# --- wait_for_db ----------------------------------------------------------------------


@pytest.fixture
def missing_database_directory(tmp_path: Path, monkeypatch, django_db_blocker) -> Iterator[Path]:
    """Points wait_for_db at an SQLite file in a directory that does not exist (yet)."""
    directory = tmp_path / "not-yet"
    handler = ConnectionHandler(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": directory / "db.sqlite3"}}
    )
    monkeypatch.setattr(wait_for_db, "connections", handler)
    with django_db_blocker.unblock():
        yield directory
    handler.close_all()


@pytest.mark.django_db
def test_wait_for_db_returns_once_the_database_answers():
    output = run("wait_for_db", "--timeout", "5")

    assert output == "Database 'default' is available.\n"


def test_wait_for_db_fails_with_a_message_when_the_database_never_answers(
    missing_database_directory,
):
    errors = StringIO()

    with pytest.raises(CommandError, match=r"'default' did not answer within 0\.3 s"):
        call_command(
            "wait_for_db", "--timeout", "0.3", "--interval", "0.1", stdout=StringIO(), stderr=errors
        )

    assert "Database 'default' unavailable, retrying: unable to open database file" in (
        errors.getvalue()
    )


def test_wait_for_db_retries_until_the_database_answers(missing_database_directory, monkeypatch):
    # The database "comes up" while the command pauses after its first failed attempt.
    monkeypatch.setattr(
        wait_for_db.time, "sleep", lambda seconds: missing_database_directory.mkdir()
    )
    out, errors = StringIO(), StringIO()

    call_command("wait_for_db", "--interval", "0.1", stdout=out, stderr=errors)

    assert errors.getvalue().count("retrying") == 1
    assert out.getvalue() == "Database 'default' is available.\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--timeout", "0"], "--timeout and --interval must be positive"),
        (["--interval", "-1"], "--timeout and --interval must be positive"),
        (["--database", "elsewhere"], "no database connection named 'elsewhere'"),
    ],
)
def test_wait_for_db_refuses_bad_arguments(args, message):
    with pytest.raises(CommandError, match=message):
        run("wait_for_db", *args)
