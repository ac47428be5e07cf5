"""Priorities, tags, due dates and completion times; the list's search, filters and sorts."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.serializers import ModelSerializer

from tasks.models import Priority, Task
from tasks.serializers import TaskSerializer
from tasks.tests.factories import TaskFactory
from tasks.tests.test_api import FORBIDDEN, as_json, invalid_input, task_url, tasks_url
from tasks.tests.test_paging import all_pages, ids, next_link
from users.models import User

DUE = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
NOT_A_STRING = "Not a valid string."


def tags_url(user: User) -> str:
    return f"/api/{user.pk}/tags"


def titles(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [task["title"] for task in response.json()]


# --- The new fields -------------------------------------------------------------------


def test_a_new_task_has_no_priority_no_tags_no_due_date_and_no_completion_time(auth_client, user):
    response = auth_client.post(tasks_url(user), {"title": "Plain"})

    assert response.status_code == 201
    body = response.json()
    assert (body["priority"], body["tags"], body["due_at"], body["completed_at"]) == (
        "none",
        [],
        None,
        None,
    )
    task = Task.objects.get()
    assert (task.priority, task.tags, task.due_at, task.completed_at) == (0, [], None, None)
    assert body == as_json(task)


@pytest.mark.parametrize(("name", "rank"), [("none", 0), ("low", 1), ("medium", 2), ("high", 3)])
def test_a_priority_is_given_by_name_and_stored_as_its_rank(auth_client, user, name, rank):
    response = auth_client.post(tasks_url(user), {"title": "Ranked", "priority": name})

    assert response.status_code == 201
    assert response.json()["priority"] == name
    assert Task.objects.get().priority == rank


@pytest.mark.parametrize("priority", ["urgent", "HIGH", 3, None, ""])
def test_a_priority_that_is_not_one_of_the_four_names_is_refused(auth_client, user, priority):
    response = auth_client.post(tasks_url(user), {"title": "Ranked", "priority": priority})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["priority"]
    assert not Task.objects.exists()


def test_tags_are_trimmed_lower_cased_and_deduplicated_in_their_first_order(auth_client, user):
    sent = ["  Work ", "home", "WORK", "Ünïcode", "home ", "x" * 50]

    response = auth_client.post(tasks_url(user), {"title": "Tagged", "tags": sent})

    assert response.status_code == 201
    expected = ["work", "home", "ünïcode", "x" * 50]
    assert response.json()["tags"] == expected
    assert Task.objects.get().tags == expected


def test_twenty_distinct_tags_are_accepted_even_among_duplicates(auth_client, user):
    tags = [f"tag{n}" for n in range(20)]

    response = auth_client.post(
        tasks_url(user), {"title": "Many", "tags": [*tags, "TAG0", "tag19"]}
    )

    assert response.status_code == 201
    assert Task.objects.get().tags == tags


@pytest.mark.parametrize(
    ("tags", "errors"),
    [
        pytest.param(
            [f"tag{n}" for n in range(21)],
            ["Ensure this field has no more than 20 elements."],
            id="21-tags",
        ),
        pytest.param(
            ["ok", "x" * 51],
            ["Item 1: Ensure this field has no more than 50 characters."],
            id="51-characters",
        ),
        pytest.param(["", "ok"], ["Item 0: This field may not be blank."], id="empty"),
        pytest.param([" \t "], ["Item 0: This field may not be blank."], id="whitespace"),
        pytest.param(
            ["ok", 5, None],
            [f"Item 1: {NOT_A_STRING}", "Item 2: This field may not be null."],
            id="not-strings",
        ),
        pytest.param("work", ['Expected a list of items but got type "str".'], id="string"),
        pytest.param({"a": 1}, ['Expected a list of items but got type "dict".'], id="object"),
        pytest.param(None, ["This field may not be null."], id="null"),
    ],
)
def test_invalid_tags_are_refused_with_flat_messages(auth_client, user, tags, errors):
    response = auth_client.post(tasks_url(user), {"title": "Tagged", "tags": tags})

    assert response.status_code == 400
    assert response.json() == invalid_input({"tags": errors})
    assert not Task.objects.exists()


def test_a_due_date_with_an_offset_is_stored_and_returned_in_utc(auth_client, user):
    response = auth_client.post(
        tasks_url(user), {"title": "Due", "due_at": "2026-12-01T11:30:00+02:00"}
    )

    assert response.status_code == 201
    assert response.json()["due_at"] == "2026-12-01T09:30:00.000000Z"
    assert Task.objects.get().due_at == DUE


@pytest.mark.parametrize(
    ("due_at", "message"),
    [
        ("2026-12-01T09:30:00", "Datetime has no offset from UTC: add one, such as Z or +02:00."),
        ("2026-12-01", None),
        ("tomorrow", None),
        (1764581400, None),
    ],
)
def test_a_due_date_without_an_offset_or_not_a_date_time_is_refused(
    auth_client, user, due_at, message
):
    response = auth_client.post(tasks_url(user), {"title": "Due", "due_at": due_at})

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == ["due_at"]
    if message:
        assert errors["due_at"] == [message]
    assert not Task.objects.exists()


def test_a_due_date_is_cleared_with_null(auth_client, user):
    task = TaskFactory(user=user, due_at=DUE)

    response = auth_client.patch(task_url(task), {"due_at": None})

    assert response.status_code == 200
    assert response.json()["due_at"] is None
    task.refresh_from_db()
    assert task.due_at is None


def test_patch_sets_priority_tags_and_due_date_and_keeps_the_rest(auth_client, user):
    task = TaskFactory(user=user, title="Same", tags=["old"])

    response = auth_client.patch(
        task_url(task), {"priority": "high", "tags": ["New"], "due_at": "2026-12-01T09:30:00Z"}
    )

    assert response.status_code == 200
    task.refresh_from_db()
    assert response.json() == as_json(task)
    assert (task.title, task.priority, task.tags, task.due_at) == ("Same", 3, ["new"], DUE)


def test_a_due_date_in_an_early_year_comes_back_as_rfc_3339_with_four_digits(auth_client, user):
    response = auth_client.post(
        tasks_url(user), {"title": "Ancient", "due_at": "0026-01-13T00:00:01Z"}
    )

    assert response.status_code == 201
    assert response.json()["due_at"] == "0026-01-13T00:00:01.000000Z"
    assert Task.objects.get().due_at == datetime(26, 1, 13, 0, 0, 1, tzinfo=UTC)


# --- completed_at ---------------------------------------------------------------------


def test_a_task_created_completed_has_its_completion_time(auth_client, user):
    before = timezone.now()

    response = auth_client.post(tasks_url(user), {"title": "Done", "completed": True})

    assert response.status_code == 201
    task = Task.objects.get()
    assert before <= task.completed_at <= timezone.now()
    assert response.json() == as_json(task)


def test_completed_at_sent_by_a_client_is_ignored(auth_client, user):
    response = auth_client.post(
        tasks_url(user), {"title": "Open", "completed_at": "2026-01-01T00:00:00Z"}
    )

    assert response.status_code == 201
    assert response.json()["completed_at"] is None
    assert Task.objects.get().completed_at is None


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        pytest.param("patch", "", {"completed": True}, id="patch"),
        pytest.param("put", "", {"title": "Done", "completed": True}, id="put"),
        pytest.param("patch", "/complete", None, id="toggle"),
        pytest.param("patch", "/complete", {"completed": True}, id="complete"),
    ],
)
def test_completing_a_task_sets_completed_at_and_reopening_clears_it(
    auth_client, user, method, suffix, body
):
    task = TaskFactory(user=user, title="Done", completed=False)
    before = timezone.now()

    completed = getattr(auth_client, method)(f"{task_url(task)}{suffix}", body)

    assert completed.status_code == 200
    task.refresh_from_db()
    assert task.completed is True
    assert before <= task.completed_at <= timezone.now()
    assert completed.json() == as_json(task)

    reopen_body = None if body is None else {**body, "completed": False}
    reopened = getattr(auth_client, method)(f"{task_url(task)}{suffix}", reopen_body)

    assert reopened.status_code == 200
    task.refresh_from_db()
    assert (task.completed, task.completed_at) == (False, None)
    assert reopened.json()["completed_at"] is None


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        pytest.param("patch", "", {"completed": True}, id="patch"),
        pytest.param("put", "", {"title": "Done", "completed": True}, id="put"),
        pytest.param("patch", "/complete", {"completed": True}, id="complete"),
    ],
)
def test_completing_a_task_already_completed_keeps_its_original_time(
    auth_client, user, method, suffix, body
):
    original = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    task = TaskFactory(user=user, title="Done", completed=True, completed_at=original)

    response = getattr(auth_client, method)(f"{task_url(task)}{suffix}", body)

    assert response.status_code == 200
    assert response.json()["completed_at"] == "2026-11-01T08:00:00.000000Z"
    task.refresh_from_db()
    assert task.completed_at == original


def test_a_patch_that_does_not_touch_completed_keeps_completed_at(auth_client, user):
    original = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    task = TaskFactory(user=user, completed=True, completed_at=original)

    response = auth_client.patch(task_url(task), {"title": "Renamed"})

    assert response.status_code == 200
    task.refresh_from_db()
    assert (task.completed, task.completed_at) == (True, original)


# --- Search, filters ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("milk", ["Buy oat MILK", "Shopping"]),
        ("MiLk", ["Buy oat MILK", "Shopping"]),
        ("oat milk", ["Buy oat MILK"]),
        ("  milk   oat ", ["Buy oat MILK"]),
        ("shop milk", ["Shopping"]),
        ("50%", ["Discount"]),
        ("a_b", ["Snake a_b"]),
        ("tea", []),
        ("", ["Buy oat MILK", "Shopping", "Discount", "Snake a_b", "Axb"]),
    ],
)
def test_q_finds_tasks_with_every_word_in_the_title_or_description(auth_client, user, q, expected):
    for title, description in [
        ("Axb", "no underscore here"),
        ("Snake a_b", ""),
        ("Discount", "50% off"),
        ("Shopping", "milk and bread"),
        ("Buy oat MILK", ""),
    ]:
        TaskFactory(user=user, title=title, description=description)

    response = auth_client.get(tasks_url(user), {"q": q})

    assert titles(response) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"priority": "high"}, ["high"]),
        ({"priority": ["high", "low"]}, ["high", "low"]),
        ({"priority": "high,low"}, ["high", "low"]),
        ({"priority": ["none", "medium,high"]}, ["high", "medium", "none"]),
    ],
)
def test_priority_takes_one_or_several_names_repeated_or_comma_separated(
    auth_client, user, query, expected
):
    for priority in Priority:
        TaskFactory(user=user, title=priority.label, priority=priority)

    response = auth_client.get(tasks_url(user), query)

    assert sorted(titles(response)) == expected


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["home"], ["both", "home"]),
        (["HOME "], ["both", "home"]),
        (["home", "work"], ["both"]),
        (["work", "home", "work"], ["both"]),
        (["garden"], []),
    ],
)
def test_tag_finds_the_tasks_that_carry_every_tag_given(auth_client, user, tags, expected):
    TaskFactory(user=user, title="home", tags=["home"])
    TaskFactory(user=user, title="both", tags=["work", "home"])
    TaskFactory(user=user, title="work", tags=["work", "homework"])
    TaskFactory(user=user, title="none", tags=[])

    response = auth_client.get(tasks_url(user), {"tag": tags})

    assert sorted(titles(response)) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"due_after": "2026-12-01T09:30:00Z"}, ["at", "later"]),
        ({"due_before": "2026-12-01T09:30:00Z"}, ["earlier"]),
        ({"due_after": "2026-12-01T10:30:00+01:00"}, ["at", "later"]),
        ({"due_after": "2026-12-01T00:00:00Z", "due_before": "2026-12-02T00:00:00Z"}, ["at"]),
    ],
)
def test_due_bounds_keep_the_tasks_due_from_due_after_until_before_due_before(
    auth_client, user, query, expected
):
    TaskFactory(user=user, title="earlier", due_at=DUE - timedelta(days=1))
    TaskFactory(user=user, title="at", due_at=DUE)
    TaskFactory(user=user, title="later", due_at=DUE + timedelta(days=2))
    TaskFactory(user=user, title="undated", due_at=None)

    response = auth_client.get(tasks_url(user), query)

    assert sorted(titles(response)) == expected


@pytest.mark.parametrize(
    ("overdue", "expected"),
    [
        ("true", ["late"]),
        ("false", ["done late", "soon", "undated"]),
        ("", ["done late", "late", "soon", "undated"]),
    ],
)
def test_overdue_true_is_pending_tasks_past_their_due_date_and_false_every_other(
    auth_client, user, overdue, expected
):
    now = timezone.now()
    TaskFactory(user=user, title="late", due_at=now - timedelta(minutes=1))
    TaskFactory(user=user, title="done late", due_at=now - timedelta(days=1), completed=True)
    TaskFactory(user=user, title="soon", due_at=now + timedelta(hours=1))
    TaskFactory(user=user, title="undated")

    response = auth_client.get(tasks_url(user), {"overdue": overdue})

    assert sorted(titles(response)) == expected


def test_every_filter_combines_with_status_sort_and_the_others(auth_client, user):
    def task(title: str, **fields: object) -> None:
        defaults = {"priority": Priority.HIGH, "tags": ["home"], "due_at": DUE}
        TaskFactory(user=user, title=title, **{**defaults, **fields})

    task("Fix tap b", due_at=DUE + timedelta(hours=1))
    task("Fix tap a")
    task("Fix tap done", completed=True)
    task("Fix tap low", priority=Priority.LOW)
    task("Fix tap work", tags=["work"])
    task("Fix tap late", due_at=DUE + timedelta(days=9))
    task("Paint wall")

    response = auth_client.get(
        tasks_url(user),
        {
            "q": "fix tap",
            "status": "pending",
            "priority": "high,medium",
            "tag": "home",
            "due_after": "2026-12-01T00:00:00Z",
            "due_before": "2026-12-02T00:00:00Z",
            "sort": "-due",
        },
    )

    assert titles(response) == ["Fix tap b", "Fix tap a"]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"priority": "urgent"}, {"priority": ['Item 0: "urgent" is not a valid choice.']}),
        (
            {"priority": "high,urgent"},
            {"priority": ['Item 1: "urgent" is not a valid choice.']},
        ),
        ({"tag": "x" * 51}, {"tag": ["Item 0: Ensure this field has no more than 50 characters."]}),
        ({"tag": " "}, {"tag": ["Item 0: This field may not be blank."]}),
        (
            {"due_before": "2026-12-01T09:30:00"},
            {"due_before": ["Datetime has no offset from UTC: add one, such as Z or +02:00."]},
        ),
        (
            {"due_after": "soon"},
            {
                "due_after": [
                    "Datetime has wrong format. Use one of these formats instead: "
                    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
                ]
            },
        ),
        ({"overdue": "maybe"}, {"overdue": ["Must be a valid boolean."]}),
        ({"q": "x" * 201}, {"q": ["Ensure this field has no more than 200 characters."]}),
        ({"sort": "due_at"}, {"sort": ['"due_at" is not a valid choice.']}),
    ],
)
def test_an_invalid_filter_is_a_400_naming_the_parameter(auth_client, user, query, errors):
    TaskFactory(user=user)

    response = auth_client.get(tasks_url(user), query)

    assert response.status_code == 400
    assert response.json() == invalid_input(errors)


def test_filters_never_reach_another_users_tasks(auth_client, user, other_user):
    TaskFactory(user=other_user, title="Theirs", tags=["home"], priority=Priority.HIGH)
    mine = TaskFactory(user=user, title="Mine", tags=["home"], priority=Priority.HIGH)

    response = auth_client.get(tasks_url(user), {"q": "i", "tag": "home", "priority": "high"})

    assert ids(response) == [mine.pk]


@pytest.mark.parametrize(
    "query",
    [
        {"q": "tap fix", "tag": ["a", "b"], "priority": "high,low", "sort": "due"},
        {"overdue": "true", "due_after": "2026-01-01T00:00:00Z", "sort": "-priority"},
    ],
)
def test_a_filtered_list_still_costs_two_queries(
    auth_client, user, django_assert_num_queries, query
):
    TaskFactory.create_batch(3, user=user, title="fix tap", tags=["a", "b"])

    # The token's user, then the page of tasks.
    with django_assert_num_queries(2):
        response = auth_client.get(tasks_url(user), query)

    assert response.status_code == 200


# --- The new sorts --------------------------------------------------------------------

# name: (due_at as hours after DUE or None, priority); created in this order, ids rising.
SORTABLE = {
    "A": (2, Priority.LOW),
    "B": (None, Priority.HIGH),
    "C": (1, Priority.NONE),
    "D": (2, Priority.HIGH),
    "E": (None, Priority.LOW),
    "F": (1, Priority.MEDIUM),
}
SORTED = {
    "due": "CFADBE",
    "-due": "DAFCEB",
    "priority": "CAEFBD",
    "-priority": "DBFEAC",
}


def sortable_tasks(user: User) -> dict[int, str]:
    return {
        TaskFactory(
            user=user,
            title=name,
            priority=priority,
            due_at=None if hours is None else DUE + timedelta(hours=hours),
        ).pk: name
        for name, (hours, priority) in SORTABLE.items()
    }


@pytest.mark.parametrize(("sort", "order"), SORTED.items())
def test_due_sorts_put_undated_tasks_last_and_priority_sorts_go_by_rank(
    auth_client, user, sort, order
):
    names = sortable_tasks(user)

    response = auth_client.get(tasks_url(user), {"sort": sort})

    assert "".join(names[pk] for pk in ids(response)) == order


@pytest.mark.parametrize(("sort", "order"), SORTED.items())
def test_paging_one_task_at_a_time_keeps_the_new_sorts_through_ties_and_nulls(
    auth_client, user, sort, order
):
    names = sortable_tasks(user)

    pages = all_pages(auth_client, auth_client.get(tasks_url(user), {"sort": sort, "limit": 1}))

    assert "".join(names[pk] for page in pages for pk in page) == order


@pytest.mark.parametrize("sort", SORTED)
@pytest.mark.parametrize("limit", [2, 3, 4])
def test_tasks_created_between_pages_of_the_new_sorts_neither_repeat_nor_skip_others(
    auth_client, user, sort, limit
):
    names = sortable_tasks(user)
    first = auth_client.get(tasks_url(user), {"sort": sort, "limit": limit})
    last_seen = Task.objects.get(pk=ids(first)[-1])
    # Twins of the last task served (so they tie with it: a null due date crosses the null
    # boundary) and of a dated and an undated task.
    newcomers = [
        TaskFactory(user=user, due_at=task.due_at, priority=task.priority)
        for task in [last_seen, Task.objects.get(title="A"), Task.objects.get(title="B")]
    ]

    seen = [pk for page in all_pages(auth_client, first) for pk in page]

    assert len(seen) == len(set(seen))
    assert set(names) <= set(seen)
    # A newcomer is served when it sorts after the cursor: its higher id decides its ties.
    assert set(seen) - set(names) <= {task.pk for task in newcomers}


def test_a_page_after_a_cursor_among_undated_tasks_costs_two_queries(
    auth_client, user, django_assert_num_queries
):
    sortable_tasks(user)
    link = next_link(auth_client.get(tasks_url(user), {"sort": "due", "limit": 5}))
    cache.clear()

    with django_assert_num_queries(2):
        response = auth_client.get(link)

    assert [Task.objects.get(pk=pk).title for pk in ids(response)] == ["E"]


# --- Tags endpoint --------------------------------------------------------------------


def test_the_tags_endpoint_counts_the_callers_tags_most_used_first_then_by_name(
    auth_client, user, other_user
):
    TaskFactory(user=user, tags=["work", "home"])
    TaskFactory(user=user, tags=["home", "car"])
    TaskFactory(user=user, tags=["errands", "home", "work"])
    TaskFactory(user=user, tags=[])
    TaskFactory(user=other_user, tags=["car", "secret"])

    response = auth_client.get(tags_url(user))

    assert response.status_code == 200
    assert response.json() == [
        {"tag": "home", "count": 3},
        {"tag": "work", "count": 2},
        {"tag": "car", "count": 1},
        {"tag": "errands", "count": 1},
    ]


def test_the_tags_endpoint_answers_an_empty_list_without_tags(auth_client, user):
    TaskFactory(user=user, tags=[])

    response = auth_client.get(tags_url(user))

    assert response.status_code == 200
    assert response.json() == []


def test_the_tags_endpoint_costs_two_queries(auth_client, user, django_assert_num_queries):
    TaskFactory.create_batch(5, user=user, tags=["a", "b"])

    # The token's user, then one aggregate.
    with django_assert_num_queries(2):
        response = auth_client.get(tags_url(user))

    assert response.json() == [{"tag": "a", "count": 5}, {"tag": "b", "count": 5}]


def test_another_users_tags_are_forbidden(auth_client, other_user):
    TaskFactory(user=other_user, tags=["secret"])

    response = auth_client.get(tags_url(other_user))

    assert response.status_code == 403
    assert response.json() == FORBIDDEN


def test_the_tags_endpoint_needs_a_token(api_client, user):
    response = api_client.get(tags_url(user))

    assert response.status_code == 401
    assert response.json()["title"] == "Unauthorized"


def test_a_path_under_tags_that_does_not_exist_is_a_404(auth_client, user):
    response = auth_client.get(f"{tags_url(user)}/home")

    assert response.status_code == 404
    assert response.json()["status"] == 404


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"completed": True, "priority": Priority.HIGH, "tags": ["home", "errand"]},
        {"description": "", "due_at": datetime(2026, 12, 24, 18, 30, tzinfo=UTC)},
    ],
)
def test_the_written_out_representation_equals_drfs_field_by_field_one(user, fields):
    task = TaskFactory(user=user, **fields)
    task.refresh_from_db()  # As the API reads it back.
    serializer = TaskSerializer()

    assert serializer.to_representation(task) == ModelSerializer.to_representation(serializer, task)


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"completed": True, "priority": Priority.HIGH, "tags": ["home", "errand"]},
        {"description": "", "due_at": datetime(2026, 12, 24, 18, 30, 0, 5, tzinfo=UTC)},
        # What JSON must escape, and text beyond ASCII.
        {"title": 'Say "hi" \\ back\tthen\x01', "description": "Café ☕ line\nnext\u2028"},
        {"priority": Priority.LOW, "tags": ["ünïcode", 'quote"d']},
        {"priority": Priority.MEDIUM, "completed": True},
        # A year before 1000 keeps its zeros; a whole second keeps its six digits.
        {"due_at": datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC)},
        {"due_at": datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)},
    ],
)
def test_reads_in_sql_answer_what_the_orm_reads(auth_client, user, fields):
    # The list and the read of one task go around the ORM (tasks/rows.py).
    task = TaskFactory(user=user, **fields)
    expected = TaskSerializer(Task.objects.get(pk=task.pk)).data

    listed = auth_client.get(tasks_url(user))
    read = auth_client.get(task_url(task)).json()

    # On PostgreSQL the database writes the list's JSON (tasks.rows.TASK_JSON_POSTGRESQL).
    assert listed.json() == [expected]
    assert listed.headers["Content-Type"] == "application/json"
    assert read == expected
