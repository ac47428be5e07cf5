"""The task admin: staff list, search and filter every user's tasks and complete them in bulk."""

from datetime import timedelta

import pytest
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tasks.admin import EstimatedCountPaginator
from tasks.models import Task
from tasks.tests.factories import TaskFactory
from users.models import User
from users.tests.factories import UserFactory

TASK_LIST = reverse("admin:tasks_task_changelist")
TASK_ADD = reverse("admin:tasks_task_add")

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="reads PostgreSQL's planner statistics"
)


def listed_tasks(response) -> list[Task]:
    return list(response.context["cl"].result_list)


def test_staff_see_every_users_tasks_with_owner_state_and_times(
    admin_client: Client, user: User, other_user: User
):
    task = TaskFactory(user=user, title="Water the plants", completed=True)
    other_task = TaskFactory(user=other_user)

    response = admin_client.get(TASK_LIST)

    assert response.status_code == 200
    assert [listed.pk for listed in listed_tasks(response)] == [other_task.pk, task.pk]
    assert "Water the plants" in response.text
    assert user.email in response.text
    for column in ["title", "user", "completed", "created_at", "updated_at"]:
        assert f"column-{column}" in response.text
    assert "2 tasks" in response.text


@pytest.mark.parametrize(
    "search",
    [
        pytest.param(lambda task: "PLANTS", id="title"),
        pytest.param(lambda task: task.user.email.upper(), id="owner email"),
        pytest.param(lambda task: task.user.email.split("@")[0], id="part of the owner email"),
        pytest.param(lambda task: task.user.pk, id="owner id"),
    ],
)
def test_staff_search_tasks_by_title_or_by_owner(
    admin_client: Client, user: User, other_user: User, search
):
    task = TaskFactory(user=user, title="Water the plants")
    TaskFactory(user=other_user, title="Buy milk")

    response = admin_client.get(TASK_LIST, {"q": search(task)})

    assert response.status_code == 200
    assert [listed.pk for listed in listed_tasks(response)] == [task.pk]
    assert "1 task" in response.text


def test_a_search_by_owner_keeps_the_filters_chosen(
    admin_client: Client, user: User, other_user: User
):
    done = TaskFactory(user=user, completed=True)
    TaskFactory(user=user, completed=False)
    TaskFactory(user=other_user, completed=True)

    response = admin_client.get(TASK_LIST, {"q": user.email, "completed__exact": "1"})

    assert response.status_code == 200
    assert [listed.pk for listed in listed_tasks(response)] == [done.pk]


@pytest.mark.parametrize("completed", [True, False])
def test_staff_filter_tasks_by_completion(admin_client: Client, user: User, completed: bool):
    wanted = TaskFactory(user=user, completed=completed)
    TaskFactory(user=user, completed=not completed)

    response = admin_client.get(TASK_LIST, {"completed__exact": str(int(completed))})

    assert response.status_code == 200
    assert [listed.pk for listed in listed_tasks(response)] == [wanted.pk]


def test_staff_filter_tasks_by_creation_date(admin_client: Client, user: User):
    recent = TaskFactory(user=user)
    TaskFactory(user=user, created_at=timezone.now() - timedelta(days=30))
    week_ago = timezone.now() - timedelta(days=7)

    response = admin_client.get(TASK_LIST, {"created_at__gte": week_ago.isoformat()})

    assert response.status_code == 200
    assert [listed.pk for listed in listed_tasks(response)] == [recent.pk]
    assert "Past 7 days" in response.text


@pytest.mark.parametrize(
    ("action", "completed_before", "completed_after", "message"),
    [
        ("mark_completed", False, True, "2 tasks marked completed."),
        ("mark_pending", True, False, "2 tasks marked pending."),
    ],
)
def test_staff_mark_the_selected_tasks_in_one_update(
    admin_client: Client,
    user: User,
    action: str,
    completed_before: bool,
    completed_after: bool,
    message: str,
):
    selected = TaskFactory.create_batch(2, user=user, completed=completed_before)
    untouched = TaskFactory(user=user, completed=completed_before)
    long_ago = timezone.now() - timedelta(days=1)
    Task.objects.update(updated_at=long_ago)

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.post(
            TASK_LIST, {"action": action, "_selected_action": [task.pk for task in selected]}
        )

    assert response.status_code == 302
    assert response["Location"] == TASK_LIST
    updates = [query["sql"] for query in queries if query["sql"].startswith("UPDATE")]
    assert len(updates) == 1
    for task in selected:
        task.refresh_from_db()
        assert task.completed is completed_after
        assert task.updated_at > long_ago
    untouched.refresh_from_db()
    assert (untouched.completed, untouched.updated_at) == (completed_before, long_ago)
    assert message in admin_client.get(TASK_LIST).text


@pytest.mark.django_db
def test_staff_who_may_only_view_tasks_cannot_change_them_with_an_action(client: Client):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_task"))
    task = TaskFactory(completed=False)
    client.force_login(viewer)

    page = client.get(TASK_LIST)
    response = client.post(TASK_LIST, {"action": "mark_completed", "_selected_action": [task.pk]})

    assert page.status_code == 200
    assert "mark_completed" not in page.text
    assert [listed.pk for listed in listed_tasks(page)] == [task.pk]
    assert response.status_code == 200
    assert "Select task to view" in response.text
    task.refresh_from_db()
    assert task.completed is False


def test_the_task_list_costs_the_same_queries_for_5_tasks_as_for_50(admin_client: Client):
    def queries_for_a_page_of(count: int) -> int:
        # Each task with an owner of its own: an owner fetched per row would show.
        TaskFactory.create_batch(count - Task.objects.count())
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(TASK_LIST)
        assert len(listed_tasks(response)) == count
        return len(queries)

    assert queries_for_a_page_of(5) == queries_for_a_page_of(50)


def test_a_search_counts_the_matching_tasks_and_never_the_whole_table(admin_client: Client):
    TaskFactory(title="Water the plants")
    TaskFactory(title="Buy milk")

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(TASK_LIST, {"q": "plants"})

    assert response.status_code == 200
    counts = [query["sql"] for query in queries if "COUNT(" in query["sql"]]
    assert len(counts) == 1
    assert "WHERE" in counts[0]
    assert "1 task" in response.text


def test_the_owner_is_chosen_by_autocomplete_not_from_a_list_of_every_user(
    admin_client: Client, user: User, other_user: User
):
    response = admin_client.get(TASK_ADD)

    assert response.status_code == 200
    owner_widget = response.context["adminform"].form.fields["user"].widget.widget
    assert isinstance(owner_widget, AutocompleteSelect)
    assert user.email not in response.text
    assert other_user.email not in response.text


def test_the_owner_autocomplete_finds_users_by_email(
    admin_client: Client, user: User, other_user: User
):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "tasks", "model_name": "task", "field_name": "user", "term": user.email},
    )

    assert response.status_code == 200
    assert response.json()["results"] == [{"id": user.pk, "text": user.email}]


def test_staff_add_a_task_for_a_user(admin_client: Client, user: User):
    response = admin_client.post(
        TASK_ADD, {"user": user.pk, "title": "Call the bank", "description": "", "priority": 0}
    )

    assert response.status_code == 302
    task = Task.objects.get()
    assert (task.user, task.title, task.completed) == (user, "Call the bank", False)


def test_the_timestamps_of_a_task_are_shown_but_cannot_be_changed(admin_client: Client, user: User):
    task = TaskFactory(user=user, title="Old title")
    change_url = reverse("admin:tasks_task_change", args=[task.pk])
    created_at = task.created_at

    page = admin_client.get(change_url)
    response = admin_client.post(
        change_url,
        {
            "user": user.pk,
            "title": "New title",
            "description": task.description,
            "priority": task.priority,
            "created_at": "2001-01-01 00:00:00",
            "updated_at": "2001-01-01 00:00:00",
        },
    )

    assert page.status_code == 200
    form_fields = page.context["adminform"].form.fields
    assert "created_at" not in form_fields
    assert "updated_at" not in form_fields
    assert "field-created_at" in page.text
    assert "field-updated_at" in page.text
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.title == "New title"
    assert task.created_at == created_at
    assert task.updated_at > created_at


def test_an_unfiltered_list_on_sqlite_or_a_small_table_is_counted_exactly(
    admin_client: Client,
):
    TaskFactory.create_batch(3)

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(TASK_LIST)

    assert response.status_code == 200
    assert response.context["cl"].result_count == 3
    assert any(query["sql"].startswith("SELECT COUNT(*)") for query in queries)


@postgresql_only
def test_a_large_unfiltered_list_is_counted_from_the_planner_estimate_on_postgresql(
    admin_client: Client, monkeypatch: pytest.MonkeyPatch
):
    # Stand-in for a large table: the estimate is trusted from the first row on.
    monkeypatch.setattr(EstimatedCountPaginator, "estimate_above", 0)
    TaskFactory.create_batch(3)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tasks_task")

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(TASK_LIST)
    with CaptureQueriesContext(connection) as filtered_queries:
        filtered = admin_client.get(TASK_LIST, {"completed__exact": "0"})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 3
    assert not any("COUNT(" in query["sql"] for query in queries)
    assert any("pg_class" in query["sql"] for query in queries)
    assert filtered.status_code == 200
    assert filtered.context["cl"].result_count == 3
    assert any("COUNT(" in query["sql"] for query in filtered_queries)
