"""The list's query parameters: filtering, sorting, page size and keyset paging by cursor."""

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.http import HttpResponse, QueryDict
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tasks.models import Task
from tasks.serializers import TaskListQuerySerializer
from tasks.tests.factories import TaskFactory
from tasks.tests.test_api import PROBLEM_CONTENT_TYPE, invalid_input, tasks_url
from users.models import User
from users.tests.factories import UserFactory

# A whole second, so that the tasks at it have no fractional part at all.
BASE = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
NEXT_LINK = re.compile(r'^<(http://testserver/api/[^>]+)>; rel="next"$')
INVALID_CURSOR = invalid_input({"cursor": ["Invalid cursor."]})

# Five tasks, created in this order (so their ids rise), that tie in every sort key:
# name: (title, created_at and updated_at as microseconds after BASE).
TIED_TASKS = {
    "A": ("pears", 0, 2),
    "B": ("apples", 0, 1),
    "C": ("pears", 1, 1),
    "D": ("apples", 1, 0),
    "E": ("figs", 0, 2),
}
# Their order in each sort: ties go by id, in the sort's direction.
TIED_ORDER = {
    "created": "ABECD",
    "-created": "DCEBA",
    "updated": "DBCAE",
    "-updated": "EACBD",
    "title": "BDEAC",
    "-title": "CAEDB",
}


def task_at(user: User, *, title: str = "Task", created: int = 0, updated: int = 0) -> Task:
    """A task whose timestamps are the given microseconds after BASE."""
    task = TaskFactory(user=user, title=title, created_at=BASE + timedelta(microseconds=created))
    # updated_at is auto_now: only an UPDATE can set it to a chosen moment.
    Task.objects.filter(pk=task.pk).update(updated_at=BASE + timedelta(microseconds=updated))
    return task


def tied_tasks(user: User) -> dict[int, str]:
    """TIED_TASKS in the database, as a map from id to name."""
    return {
        task_at(user, title=title, created=created, updated=updated).pk: name
        for name, (title, created, updated) in TIED_TASKS.items()
    }


def next_link(response: HttpResponse) -> str | None:
    """The URL of the `Link: <...>; rel="next"` header, None when there is none."""
    if not response.has_header("Link"):
        return None
    match = NEXT_LINK.match(response["Link"])
    assert match, response["Link"]
    return match.group(1)


def all_pages(client: APIClient, first: HttpResponse, *, max_pages: int = 20) -> list[list[int]]:
    """The ids of the first page and of every page after it, following each next link as given."""
    response = first
    pages = []
    for _ in range(max_pages):
        pages.append(ids(response))
        link = next_link(response)
        if link is None:
            return pages
        response = client.get(link)
    pytest.fail(f"Still a next link after {max_pages} pages: the cursor does not advance.")


def ids(response: HttpResponse) -> list[int]:
    assert response.status_code == 200
    return [task["id"] for task in response.json()]


# --- status ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [("all", {"done", "open"}), ("pending", {"open"}), ("completed", {"done"})],
)
def test_the_status_parameter_filters_by_completion(auth_client, user, status, expected):
    TaskFactory(user=user, title="done", completed=True)
    TaskFactory(user=user, title="open", completed=False)

    response = auth_client.get(tasks_url(user), {"status": status})

    assert response.status_code == 200
    assert {task["title"] for task in response.json()} == expected


def test_without_parameters_all_tasks_come_newest_first(auth_client, user):
    names = tied_tasks(user)
    Task.objects.filter(title="figs").update(completed=True)

    response = auth_client.get(tasks_url(user))

    assert "".join(names[pk] for pk in ids(response)) == TIED_ORDER["-created"]


# --- sort ------------------------------------------------------------------------------


@pytest.mark.parametrize(("sort", "order"), TIED_ORDER.items())
def test_each_sort_orders_by_its_field_with_ties_broken_by_id(auth_client, user, sort, order):
    names = tied_tasks(user)

    response = auth_client.get(tasks_url(user), {"sort": sort})

    assert "".join(names[pk] for pk in ids(response)) == order


@pytest.mark.parametrize(("sort", "order"), TIED_ORDER.items())
def test_paging_one_task_at_a_time_keeps_each_sorts_order_through_the_ties(
    auth_client, user, sort, order
):
    names = tied_tasks(user)

    pages = all_pages(auth_client, auth_client.get(tasks_url(user), {"sort": sort, "limit": 1}))

    assert pages[-1] != []
    assert "".join(names[pk] for page in pages for pk in page) == order


@pytest.mark.parametrize("sort", ["created", "-created"])
def test_timestamps_a_microsecond_apart_survive_the_cursor(auth_client, user, sort):
    # Created in the reverse of their timestamps, so that only the timestamps order them;
    # BASE itself has no fraction, which is the cursor's odd case.
    offsets = [1_000_000, 1_000_001, 2, 1, 0]
    by_offset = {offset: task_at(user, created=offset).pk for offset in offsets}
    expected = [by_offset[offset] for offset in sorted(offsets, reverse=sort == "-created")]

    pages = all_pages(auth_client, auth_client.get(tasks_url(user), {"sort": sort, "limit": 1}))

    assert [pk for page in pages for pk in page] == expected


@pytest.mark.parametrize("sort", ["title", "-title"])
def test_paging_through_titles_agrees_with_the_single_page_whatever_the_case_or_accents(
    auth_client, user, sort
):
    for title in ["apple", "Apple", "äpple", "Banana", "banana", "apple", "Zebra", "écru", "1"]:
        TaskFactory(user=user, title=title)
    one_page = ids(auth_client.get(tasks_url(user), {"sort": sort}))

    pages = all_pages(auth_client, auth_client.get(tasks_url(user), {"sort": sort, "limit": 2}))

    assert [pk for page in pages for pk in page] == one_page
    assert len(one_page) == 9


# --- limit -----------------------------------------------------------------------------


def test_the_page_size_defaults_to_100(auth_client, user):
    Task.objects.bulk_create(Task(user=user, title=f"Task {n}") for n in range(101))

    response = auth_client.get(tasks_url(user))

    assert len(ids(response)) == 100
    assert next_link(response) is not None


@pytest.mark.parametrize("limit", [1, 500])
def test_a_limit_from_1_to_500_sets_the_page_size(auth_client, user, limit):
    Task.objects.bulk_create(Task(user=user, title=f"Task {n}") for n in range(limit + 1))

    response = auth_client.get(tasks_url(user), {"limit": limit})

    assert len(ids(response)) == limit
    assert next_link(response) is not None


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"limit": 0}, {"limit": ["Ensure this value is greater than or equal to 1."]}),
        ({"limit": 501}, {"limit": ["Ensure this value is less than or equal to 500."]}),
        ({"limit": "abc"}, {"limit": ["A valid integer is required."]}),
        ({"limit": "2.5"}, {"limit": ["A valid integer is required."]}),
        ({"status": "done"}, {"status": ['"done" is not a valid choice.']}),
        ({"sort": "due_at"}, {"sort": ['"due_at" is not a valid choice.']}),
        ({"sort": "created_at"}, {"sort": ['"created_at" is not a valid choice.']}),
    ],
)
def test_an_invalid_query_parameter_is_a_400_naming_it(auth_client, user, query, errors):
    TaskFactory(user=user)

    response = auth_client.get(tasks_url(user), query)

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert response.json() == invalid_input(errors)


def test_unknown_query_parameters_are_ignored(auth_client, user):
    task = TaskFactory(user=user)

    response = auth_client.get(tasks_url(user), {"page": 3, "order": "title", "search": "x"})

    assert ids(response) == [task.pk]


# --- cursor ----------------------------------------------------------------------------


def test_seven_tasks_come_in_pages_of_three_linked_by_absolute_next_urls(auth_client, user):
    tasks = [task_at(user, created=n) for n in range(7)]
    newest_first = [task.pk for task in reversed(tasks)]

    first = auth_client.get(tasks_url(user), {"limit": 3})
    second = auth_client.get(next_link(first))
    third = auth_client.get(next_link(second))

    assert [ids(first), ids(second), ids(third)] == [
        newest_first[:3],
        newest_first[3:6],
        newest_first[6:],
    ]
    link = urlsplit(next_link(first))
    assert f"{link.scheme}://{link.netloc}{link.path}" == f"http://testserver{tasks_url(user)}"
    assert parse_qs(link.query).keys() == {"limit", "cursor"}
    assert next_link(third) is None
    assert not third.has_header("Link")


def test_the_next_link_keeps_the_other_query_parameters(auth_client, user):
    for n in range(3):
        TaskFactory(user=user, title=f"Open {n}")
    TaskFactory(user=user, title="Done", completed=True)

    first = auth_client.get(tasks_url(user), {"status": "pending", "sort": "title", "limit": 2})

    pages = all_pages(auth_client, first)

    titles = dict(Task.objects.values_list("pk", "title"))
    assert [[titles[pk] for pk in page] for page in pages] == [["Open 0", "Open 1"], ["Open 2"]]


def test_a_full_last_page_has_no_next_link(auth_client, user):
    TaskFactory.create_batch(4, user=user)

    pages = all_pages(auth_client, auth_client.get(tasks_url(user), {"limit": 2}))

    assert [len(page) for page in pages] == [2, 2]


@pytest.mark.parametrize("sort", TIED_ORDER)
def test_tasks_created_and_deleted_between_pages_neither_repeat_nor_skip_others(
    auth_client, user, sort
):
    # Three tasks share each sort value, so that every page boundary falls within a tie.
    originals = [
        task_at(user, title=f"Title {n // 3}", created=n // 3, updated=n // 3) for n in range(9)
    ]
    first = auth_client.get(tasks_url(user), {"sort": sort, "limit": 2})
    seen = ids(first)
    last_seen = Task.objects.get(pk=seen[-1])
    unseen = [task for task in originals if task.pk not in seen]

    # A twin of the last task served: it ties with it, and its higher id puts it after the
    # cursor in an ascending sort and before it in a descending one.
    twin = TaskFactory(user=user, title=last_seen.title, created_at=last_seen.created_at)
    Task.objects.filter(pk=twin.pk).update(updated_at=last_seen.updated_at)
    Task.objects.filter(pk__in=[seen[0], unseen[-1].pk]).delete()
    seen += [pk for page in all_pages(auth_client, first)[1:] for pk in page]

    assert len(seen) == len(set(seen))
    assert {task.pk for task in unseen[:-1]} <= set(seen)
    assert unseen[-1].pk not in seen
    assert (twin.pk in seen) is not sort.startswith("-")


def test_a_page_deep_in_the_list_costs_the_same_two_queries(
    auth_client, user, django_assert_num_queries
):
    Task.objects.bulk_create(Task(user=user, title=f"Task {n}") for n in range(30))
    link = next_link(auth_client.get(tasks_url(user), {"limit": 25}))
    cache.clear()  # As on another worker, which has not seen this user yet.

    # The token's user, then the page after the cursor.
    with django_assert_num_queries(2):
        response = auth_client.get(link)

    assert len(ids(response)) == 5


def cursor_of(url: str) -> str:
    """The cursor parameter of a next link."""
    return parse_qs(urlsplit(url).query)["cursor"][0]


def forged_cursor(payload: list[object]) -> str:
    """A cursor a client built itself, as the unsigned JSON in base64 it might guess at."""
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda cursor: cursor[:-1], id="truncated"),
        pytest.param(lambda cursor: ("B" if cursor[0] == "A" else "A") + cursor[1:], id="altered"),
        pytest.param(lambda cursor: "not-a-cursor", id="garbage"),
        pytest.param(
            lambda cursor: forged_cursor(["-created", "0001-01-01T00:00:00+01:00", 1]),
            id="forged-date-out-of-range",
        ),
        pytest.param(
            lambda cursor: forged_cursor(["-created", "2026-11-27T10:00:00+00:00", 10**30]),
            id="forged-huge-id",
        ),
    ],
)
def test_a_tampered_cursor_is_a_400(auth_client, user, tamper):
    TaskFactory.create_batch(2, user=user)
    cursor = cursor_of(next_link(auth_client.get(tasks_url(user), {"limit": 1})))

    response = auth_client.get(tasks_url(user), {"limit": 1, "cursor": tamper(cursor)})

    assert response.status_code == 400
    assert response.json() == INVALID_CURSOR


def test_a_cursor_of_another_sort_is_a_400(auth_client, user):
    TaskFactory.create_batch(2, user=user)
    title_link = next_link(auth_client.get(tasks_url(user), {"sort": "title", "limit": 1}))

    response = auth_client.get(title_link.replace("sort=title", "sort=-created"))

    assert response.status_code == 400
    assert response.json() == INVALID_CURSOR


# --- PostgreSQL's plan -----------------------------------------------------------------


@pytest.mark.postgresql
@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's EXPLAIN")
@pytest.mark.parametrize(
    ("sort", "index", "field"),
    [
        ("created", "task_user_created_idx", "created_at"),
        ("-created", "task_user_created_idx", "created_at"),
        ("updated", "task_user_updated_idx", "updated_at"),
        ("-updated", "task_user_updated_idx", "updated_at"),
        ("title", "task_user_title_idx", "title"),
        ("-title", "task_user_title_idx", "title"),
    ],
)
def test_a_page_after_a_cursor_is_a_range_scan_of_the_owners_index(
    auth_client, user, sort, index, field
):
    owners = [user, *UserFactory.create_batch(19)]
    Task.objects.bulk_create(
        Task(user=owner, title=f"Task {n:03}", created_at=BASE + timedelta(seconds=n))
        for owner in owners
        for n in range(100)
    )
    # Spread like real edits, not the few milliseconds of one bulk insert.
    Task.objects.update(updated_at=F("created_at"))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tasks_task")
    link = next_link(auth_client.get(tasks_url(user), {"sort": sort, "limit": 10}))

    with CaptureQueriesContext(connection) as captured:
        auth_client.get(link)
    # The last query is the page itself, with its parameters inlined.
    with connection.cursor() as cursor:
        cursor.execute(f"{connection.ops.explain_query_prefix()} {captured[-1]['sql']}")
        plan = "\n".join(line for (line,) in cursor.fetchall())

    assert re.search(rf"Index Scan (Backward )?using {index} on tasks_task", plan), plan
    # The scan starts at the cursor's position within the owner's rows.
    assert re.search(rf"Index Cond: .*user_id.* AND .*{field}\)?(::text)? [<>]=", plan), plan
    assert "Seq Scan" not in plan, plan
    assert "Sort" not in plan, plan


def test_the_list_query_fields_are_built_once_and_validate_each_request_apart():
    first = TaskListQuerySerializer(data=QueryDict("limit=0"))
    second = TaskListQuerySerializer(data=QueryDict("limit=7"))

    assert first.fields is second.fields
    assert not first.is_valid()
    assert second.is_valid()
    assert first.errors == {"limit": ["Ensure this value is greater than or equal to 1."]}
    assert second.validated_data["limit"] == 7
