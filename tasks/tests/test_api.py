"""The task endpoints as a frontend uses them: shapes, ownership, validation and query cost."""

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.cache import cache

from tasks.models import Task
from tasks.serializers import TaskSerializer
from tasks.tests.factories import TaskFactory
from tasks.views import TaskViewSet
from users.models import User

RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
PROBLEM_CONTENT_TYPE = "application/problem+json"
NOT_FOUND = {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "Not found."}
FORBIDDEN = {
    "type": "about:blank",
    "title": "Forbidden",
    "status": 403,
    "detail": "The path's user id is not the authenticated user.",
}

# Every route that addresses one task: method, path after the task's URL, and a body.
TASK_ROUTES = [
    pytest.param("get", "", None, id="read"),
    pytest.param("put", "", {"title": "Taken over"}, id="put"),
    pytest.param("patch", "", {"title": "Taken over"}, id="patch"),
    pytest.param("delete", "", None, id="delete"),
    pytest.param("patch", "/complete", None, id="complete"),
]


def invalid_input(errors: dict[str, list[str]]) -> dict[str, Any]:
    """The problem document of a validation failure with these field errors."""
    return {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "Invalid input.",
        "errors": errors,
    }


def tasks_url(user: User) -> str:
    return f"/api/{user.pk}/tasks"


def task_url(task: Task) -> str:
    return f"/api/{task.user_id}/tasks/{task.pk}"


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def as_json(task: Task) -> dict[str, Any]:
    """A task as the contract says the API shows it."""
    return {
        "id": task.pk,
        "user_id": task.user_id,
        "title": task.title,
        "description": task.description,
        "completed": task.completed,
        "priority": task.get_priority_display(),
        "tags": task.tags,
        "due_at": task.due_at and rfc3339(task.due_at),
        "completed_at": task.completed_at and rfc3339(task.completed_at),
        "created_at": rfc3339(task.created_at),
        "updated_at": rfc3339(task.updated_at),
    }


def row(task: Task) -> dict[str, Any]:
    """Everything stored about a task, to prove a refused request changed nothing."""
    return Task.objects.filter(pk=task.pk).values().get()


# --- Success shapes --------------------------------------------------------------------


def test_the_list_is_a_plain_array_of_the_callers_tasks(auth_client, user):
    older = TaskFactory(user=user, completed=True)
    newer = TaskFactory(user=user)

    response = auth_client.get(tasks_url(user))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == [as_json(newer), as_json(older)]
    assert not response.has_header("Link")


def test_a_task_shows_an_integer_id_its_owner_and_utc_timestamps_with_microseconds(
    auth_client, user
):
    task = TaskFactory(user=user)

    body = auth_client.get(task_url(task)).json()

    assert type(body["id"]) is int
    assert body["user_id"] == user.pk
    assert RFC3339_UTC.match(body["created_at"])
    assert RFC3339_UTC.match(body["updated_at"])
    assert datetime.fromisoformat(body["created_at"]) == task.created_at


def test_creating_a_task_answers_201_with_the_task_and_its_absolute_location(auth_client, user):
    response = auth_client.post(tasks_url(user), {"title": "Buy milk", "description": "Oat"})

    assert response.status_code == 201
    task = Task.objects.get(user=user)
    assert response.json() == as_json(task)
    assert (task.title, task.description, task.completed) == ("Buy milk", "Oat", False)
    assert response["Location"] == f"http://testserver/api/{user.pk}/tasks/{task.pk}"
    followed = auth_client.get(response["Location"])
    assert followed.status_code == 200
    assert followed.json() == response.json()


def test_a_created_task_without_optional_fields_gets_the_defaults(auth_client, user):
    response = auth_client.post(tasks_url(user), {"title": "Call mum"})

    assert response.status_code == 201
    assert response.json()["description"] == ""
    assert response.json()["completed"] is False
    assert Task.objects.filter(user=user, description="", completed=False).count() == 1


def test_reading_a_task_answers_the_task(auth_client, user):
    task = TaskFactory(user=user)

    response = auth_client.get(task_url(task))

    assert response.status_code == 200
    assert response.json() == as_json(task)


def test_put_replaces_the_given_fields_and_moves_updated_at(auth_client, user):
    task = TaskFactory(user=user, title="Old", description="Old notes", completed=False)
    updated_before = task.updated_at

    response = auth_client.put(
        task_url(task),
        {"title": "New", "description": "New notes", "completed": True},
    )

    assert response.status_code == 200
    task.refresh_from_db()
    assert response.json() == as_json(task)
    assert (task.title, task.description, task.completed) == ("New", "New notes", True)
    assert task.updated_at > updated_before


def test_put_keeps_the_optional_fields_it_omits(auth_client, user):
    task = TaskFactory(user=user, description="Keep me", completed=True)

    response = auth_client.put(task_url(task), {"title": "Renamed"})

    assert response.status_code == 200
    task.refresh_from_db()
    assert response.json() == as_json(task)
    assert (task.title, task.description, task.completed) == ("Renamed", "Keep me", True)


def test_put_requires_the_title(auth_client, user):
    task = TaskFactory(user=user)
    before = row(task)

    response = auth_client.put(task_url(task), {"description": "No title"})

    assert response.status_code == 400
    assert response.json() == invalid_input({"title": ["This field is required."]})
    assert row(task) == before


def test_patch_changes_only_the_fields_it_sends(auth_client, user):
    task = TaskFactory(user=user, title="Same", description="Before")

    response = auth_client.patch(task_url(task), {"description": "After"})

    assert response.status_code == 200
    task.refresh_from_db()
    assert response.json() == as_json(task)
    assert (task.title, task.description) == ("Same", "After")


def test_deleting_a_task_answers_204_with_no_body_and_removes_the_row(auth_client, user):
    task = TaskFactory(user=user)

    response = auth_client.delete(task_url(task))

    assert response.status_code == 204
    assert response.content == b""
    assert not Task.objects.filter(pk=task.pk).exists()
    assert auth_client.get(task_url(task)).status_code == 404


def test_completing_without_a_body_toggles_and_a_second_time_toggles_back(auth_client, user):
    task = TaskFactory(user=user, completed=False)
    updated_before = task.updated_at

    first = auth_client.patch(f"{task_url(task)}/complete")

    assert first.status_code == 200
    task.refresh_from_db()
    assert first.json() == as_json(task)
    assert task.completed is True
    assert task.updated_at > updated_before

    second = auth_client.patch(f"{task_url(task)}/complete")

    assert second.status_code == 200
    task.refresh_from_db()
    assert second.json() == as_json(task)
    assert task.completed is False


@pytest.mark.parametrize("initially", [True, False])
@pytest.mark.parametrize("wanted", [True, False])
def test_completing_with_a_boolean_sets_that_state_whatever_it_was(
    auth_client, user, initially, wanted
):
    task = TaskFactory(user=user, completed=initially)

    response = auth_client.patch(
        f"{task_url(task)}/complete", {"completed": wanted, "title": "ignored"}
    )

    assert response.status_code == 200
    task.refresh_from_db()
    assert response.json() == as_json(task)
    assert task.completed is wanted
    assert task.title != "ignored"


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        pytest.param({"completed": "yes"}, {"completed": ["Must be a valid boolean."]}, id="yes"),
        pytest.param({"completed": 1}, {"completed": ["Must be a valid boolean."]}, id="one"),
        pytest.param(
            {"completed": None}, {"completed": ["This field may not be null."]}, id="null"
        ),
        pytest.param(
            [True],
            {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]},
            id="array",
        ),
    ],
)
def test_completing_with_anything_but_a_boolean_is_refused(auth_client, user, body, errors):
    task = TaskFactory(user=user, completed=False)
    before = row(task)

    response = auth_client.patch(f"{task_url(task)}/complete", body)

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert response.json() == invalid_input(errors)
    assert row(task) == before


# --- Ownership -------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "suffix", "body"), TASK_ROUTES)
def test_another_users_task_is_not_found_on_every_route_and_stays_unchanged(
    auth_client, user, other_user, method, suffix, body
):
    task = TaskFactory(user=other_user)
    before = row(task)
    # The caller's own path: only the task id points at someone else's task.
    url = f"{tasks_url(user)}/{task.pk}{suffix}"

    response = getattr(auth_client, method)(url, body)

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert response.json() == NOT_FOUND
    assert row(task) == before


# The second id is beyond a 64-bit integer: still a 404, never a database error.
@pytest.mark.parametrize("task_id", ["999999", "99999999999999999999"])
@pytest.mark.parametrize(("method", "suffix", "body"), TASK_ROUTES)
def test_a_task_id_that_does_not_exist_is_not_found_on_every_route(
    auth_client, user, method, suffix, body, task_id
):
    url = f"{tasks_url(user)}/{task_id}{suffix}"

    response = getattr(auth_client, method)(url, body)

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert not Task.objects.exists()


def test_another_users_tasks_are_absent_from_the_list(auth_client, user, other_user):
    mine = TaskFactory(user=user)
    TaskFactory.create_batch(3, user=other_user)

    response = auth_client.get(tasks_url(user))

    assert response.status_code == 200
    assert response.json() == [as_json(mine)]


@pytest.mark.parametrize(("method", "suffix", "body"), TASK_ROUTES)
def test_another_users_path_is_forbidden_on_every_task_route(
    auth_client, other_user, method, suffix, body
):
    task = TaskFactory(user=other_user)
    before = row(task)

    response = getattr(auth_client, method)(f"{task_url(task)}{suffix}", body)

    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert response.json() == FORBIDDEN
    assert row(task) == before


def test_another_users_path_is_forbidden_for_the_list(auth_client, other_user):
    TaskFactory(user=other_user)

    response = auth_client.get(tasks_url(other_user))

    assert response.status_code == 403
    assert response.json() == FORBIDDEN


def test_another_users_path_is_forbidden_for_create_and_nothing_is_created(
    auth_client, user, other_user
):
    response = auth_client.post(tasks_url(other_user), {"title": "Planted"})

    assert response.status_code == 403
    assert response.json() == FORBIDDEN
    assert not Task.objects.exists()


def test_an_owner_id_or_timestamps_sent_on_create_are_ignored(auth_client, user, other_user):
    response = auth_client.post(
        tasks_url(user),
        {
            "title": "Mine",
            "user_id": other_user.pk,
            "user": other_user.pk,
            "id": 424242,
            "created_at": "2000-01-01T00:00:00.000000Z",
            "updated_at": "2000-01-01T00:00:00.000000Z",
        },
    )

    assert response.status_code == 201
    task = Task.objects.get()
    assert task.user == user
    assert task.pk != 424242
    assert task.created_at.year != 2000
    assert response.json() == as_json(task)
    assert not other_user.tasks.exists()


@pytest.mark.parametrize("method", ["put", "patch"])
def test_an_owner_id_or_timestamps_sent_on_update_are_ignored(
    auth_client, user, other_user, method
):
    task = TaskFactory(user=user)
    created_at = task.created_at

    response = getattr(auth_client, method)(
        task_url(task),
        {
            "title": "Still mine",
            "user_id": other_user.pk,
            "user": other_user.pk,
            "id": task.pk + 1000,
            "created_at": "2000-01-01T00:00:00.000000Z",
        },
    )

    assert response.status_code == 200
    task.refresh_from_db()
    assert response.json() == as_json(task)
    assert (task.user_id, task.title, task.created_at) == (user.pk, "Still mine", created_at)
    assert Task.objects.get().pk == task.pk


def test_an_unauthenticated_caller_sees_no_task(api_client, user):
    task = TaskFactory(user=user)

    response = api_client.get(task_url(task))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["title"] == "Unauthorized"


@pytest.mark.parametrize("method", ["put", "patch"])
def test_an_update_keeps_a_completion_that_lands_while_it_is_in_flight(
    auth_client, user, monkeypatch, method
):
    task = TaskFactory(user=user, completed=False)
    read_task = TaskViewSet.get_object

    def read_then_completed_elsewhere(view: TaskViewSet) -> Task:
        read = read_task(view)
        Task.objects.filter(pk=read.pk).update(completed=True)  # Another tab's toggle.
        return read

    monkeypatch.setattr(TaskViewSet, "get_object", read_then_completed_elsewhere)

    response = getattr(auth_client, method)(task_url(task), {"title": "Renamed"})

    assert response.status_code == 200
    task.refresh_from_db()
    assert (task.title, task.completed) == ("Renamed", True)


# --- Validation ------------------------------------------------------------------------

TOO_LONG_TITLE = ["Ensure this field has no more than 200 characters."]
TOO_LONG_DESCRIPTION = ["Ensure this field has no more than 1000 characters."]
NOT_A_STRING = ["Not a valid string."]
NOT_A_BOOLEAN = ["Must be a valid boolean."]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        pytest.param({}, {"title": ["This field is required."]}, id="title-missing"),
        pytest.param({"title": ""}, {"title": ["This field may not be blank."]}, id="title-empty"),
        pytest.param(
            {"title": " \t\n "}, {"title": ["This field may not be blank."]}, id="title-spaces"
        ),
        pytest.param({"title": "x" * 201}, {"title": TOO_LONG_TITLE}, id="title-201"),
        pytest.param({"title": None}, {"title": ["This field may not be null."]}, id="title-null"),
        pytest.param({"title": 5}, {"title": NOT_A_STRING}, id="title-number"),
        pytest.param({"title": True}, {"title": NOT_A_STRING}, id="title-boolean"),
        pytest.param({"title": ["Buy milk"]}, {"title": NOT_A_STRING}, id="title-list"),
        pytest.param({"title": {"text": "Buy milk"}}, {"title": NOT_A_STRING}, id="title-object"),
        pytest.param(
            {"title": "Ok", "description": "x" * 1001},
            {"description": TOO_LONG_DESCRIPTION},
            id="description-1001",
        ),
        pytest.param(
            {"title": "Ok", "description": None},
            {"description": ["This field may not be null."]},
            id="description-null",
        ),
        pytest.param(
            {"title": "Ok", "description": 5}, {"description": NOT_A_STRING}, id="description-5"
        ),
        pytest.param(
            {"title": "Ok", "completed": "true"}, {"completed": NOT_A_BOOLEAN}, id="completed-str"
        ),
        pytest.param(
            {"title": "Ok", "completed": 1}, {"completed": NOT_A_BOOLEAN}, id="completed-1"
        ),
        pytest.param(
            {"title": "Ok", "completed": "yes"}, {"completed": NOT_A_BOOLEAN}, id="completed-yes"
        ),
        pytest.param(
            {"title": "", "description": "x" * 1001},
            {"title": ["This field may not be blank."], "description": TOO_LONG_DESCRIPTION},
            id="two-fields",
        ),
        pytest.param(
            ["Buy milk"],
            {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]},
            id="body-array",
        ),
        pytest.param(
            "Buy milk",
            {"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]},
            id="body-string",
        ),
    ],
)
def test_an_invalid_task_is_refused_with_the_errors_of_each_field(auth_client, user, body, errors):
    response = auth_client.post(tasks_url(user), body)

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert response.json() == invalid_input(errors)
    assert not Task.objects.exists()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        pytest.param({"title": "  "}, {"title": ["This field may not be blank."]}, id="title"),
        pytest.param({"title": "x" * 201}, {"title": TOO_LONG_TITLE}, id="title-201"),
        pytest.param({"description": "x" * 1001}, {"description": TOO_LONG_DESCRIPTION}, id="desc"),
        pytest.param({"completed": "true"}, {"completed": NOT_A_BOOLEAN}, id="completed"),
    ],
)
def test_an_invalid_patch_is_refused_and_changes_nothing(auth_client, user, body, errors):
    task = TaskFactory(user=user)
    before = row(task)

    response = auth_client.patch(task_url(task), body)

    assert response.status_code == 400
    assert response.json() == invalid_input(errors)
    assert row(task) == before


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        pytest.param("x" * 200, "x" * 200, id="200"),
        pytest.param("  " + "x" * 200 + "\n ", "x" * 200, id="200-after-trimming"),
        pytest.param("  Buy milk \t", "Buy milk", id="trimmed"),
        pytest.param("Ünïcödé ✓", "Ünïcödé ✓", id="unicode"),
    ],
)
def test_a_title_is_trimmed_and_accepted_up_to_200_characters(auth_client, user, sent, stored):
    response = auth_client.post(tasks_url(user), {"title": sent})

    assert response.status_code == 201
    assert response.json()["title"] == stored
    assert Task.objects.get().title == stored


def test_a_description_of_1000_characters_is_accepted_as_written(auth_client, user):
    description = " " + "x" * 998 + " "

    response = auth_client.post(tasks_url(user), {"title": "Long", "description": description})

    assert response.status_code == 201
    assert response.json()["description"] == description
    assert Task.objects.get().description == description


def test_a_patched_title_is_trimmed_too(auth_client, user):
    task = TaskFactory(user=user)

    response = auth_client.patch(task_url(task), {"title": "  Tidy  "})

    assert response.status_code == 200
    assert response.json()["title"] == "Tidy"
    assert Task.objects.get().title == "Tidy"


def test_unknown_fields_in_the_body_are_ignored(auth_client, user):
    response = auth_client.post(tasks_url(user), {"title": "Known", "colour": "red", "list": 3})

    assert response.status_code == 201
    assert "colour" not in response.json()
    assert Task.objects.get().title == "Known"


def test_malformed_json_is_a_400_without_field_errors(auth_client, user):
    response = auth_client.post(
        tasks_url(user), '{"title": "Buy milk"', content_type="application/json"
    )

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert body["title"] == "Bad Request"
    assert body["detail"].startswith("JSON parse error")
    assert "errors" not in body
    assert not Task.objects.exists()


def test_a_title_with_a_nul_character_is_refused(auth_client, user):
    response = auth_client.post(tasks_url(user), {"title": "Buy\x00milk"})

    assert response.status_code == 400
    assert response.json() == invalid_input({"title": ["Null characters are not allowed."]})
    assert not Task.objects.exists()


# --- Query counts ----------------------------------------------------------------------
# Each test's cache starts empty (conftest), so every request measured here is a worker's
# first for its user: it starts with one query, the token's user (BearerTokenAuthentication).


@pytest.mark.parametrize("count", [1, 40])
def test_the_list_costs_two_queries_however_many_tasks_there_are(
    auth_client, user, django_assert_num_queries, count
):
    TaskFactory.create_batch(count, user=user)

    # The token's user, then the page of tasks (one SELECT, LIMIT page size + 1).
    with django_assert_num_queries(2):
        response = auth_client.get(tasks_url(user))

    assert response.status_code == 200
    assert len(response.json()) == count


def test_a_known_users_list_costs_one_query(auth_client, user, django_assert_num_queries):
    TaskFactory.create_batch(3, user=user)
    auth_client.get(tasks_url(user))  # The user is now known to this worker.

    with django_assert_num_queries(1):
        response = auth_client.get(tasks_url(user))

    assert len(response.json()) == 3


def test_a_user_stays_known_while_thousands_of_others_are_cached(
    auth_client, user, django_assert_num_queries
):
    auth_client.get(tasks_url(user))
    # Other users' marks and throttle counters, as a worker holds them under load: Django's
    # default local cache kept 300 entries and culled a third of them when full.
    cache.set_many({f"users:active:other-{n}": True for n in range(5000)})

    with django_assert_num_queries(1):
        response = auth_client.get(tasks_url(user))

    assert response.status_code == 200


def test_reading_a_task_costs_two_queries(auth_client, user, django_assert_num_queries):
    task = TaskFactory(user=user)

    # The token's user, then the task scoped to its owner.
    with django_assert_num_queries(2):
        response = auth_client.get(task_url(task))

    assert response.status_code == 200


def test_creating_a_task_costs_two_queries(auth_client, user, django_assert_num_queries):
    # The token's user, then the INSERT.
    with django_assert_num_queries(2):
        response = auth_client.post(tasks_url(user), {"title": "Cheap"})

    assert response.status_code == 201


@pytest.mark.parametrize("method", ["put", "patch"])
def test_updating_a_task_costs_three_queries(auth_client, user, django_assert_num_queries, method):
    task = TaskFactory(user=user)

    # The token's user, the task scoped to its owner, then its UPDATE.
    with django_assert_num_queries(3):
        response = getattr(auth_client, method)(task_url(task), {"title": "Cheap"})

    assert response.status_code == 200


def test_deleting_a_task_costs_two_queries(auth_client, user, django_assert_num_queries):
    task = TaskFactory(user=user)

    # The token's user, then one DELETE scoped to the owner (no SELECT before it).
    with django_assert_num_queries(2):
        response = auth_client.delete(task_url(task))

    assert response.status_code == 204


def test_completing_a_task_costs_two_queries(auth_client, user, django_assert_num_queries):
    task = TaskFactory(user=user)

    # The token's user; then one UPDATE that flips the flag and returns the task.
    with django_assert_num_queries(2) as captured:
        response = auth_client.patch(f"{task_url(task)}/complete")

    assert response.status_code == 200
    assert response.json()["completed"] is True
    update = captured.captured_queries[1]["sql"]
    assert update.startswith("UPDATE")
    assert "RETURNING" in update


def test_a_task_deleted_between_the_read_and_the_write_of_an_update_is_404(
    auth_client, user, monkeypatch
):
    task = TaskFactory(user=user)
    original_update = TaskSerializer.update

    def deleted_meanwhile(serializer, instance, validated_data):
        Task.objects.filter(pk=instance.pk).delete()  # Another request's DELETE wins.
        return original_update(serializer, instance, validated_data)

    monkeypatch.setattr(TaskSerializer, "update", deleted_meanwhile)

    response = auth_client.patch(task_url(task), {"title": "Too late"})

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert not Task.objects.exists()
