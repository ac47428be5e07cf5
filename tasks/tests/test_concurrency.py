"""Concurrent writers lose nothing: real threads, each with its own PostgreSQL connection."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from tasks.models import Task
from tasks.tests.factories import TaskFactory
from users.tests.factories import access_token_for

WRITERS = 12


@pytest.fixture(autouse=True)
def _postgresql_only(transactional_db) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers with a file lock; concurrency is PostgreSQL's")


def at_once(count: int, request: Callable[[APIClient, int], object]) -> list:
    """Runs `request` from `count` threads released together; each thread has its own client."""
    barrier = threading.Barrier(count)

    def run(n: int) -> object:
        client = APIClient()
        barrier.wait()
        try:
            return request(client, n)
        finally:
            connections.close_all()  # This thread's connection, opened by the request.

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_concurrent_toggles_end_in_the_state_their_number_implies(user):
    task = TaskFactory(user=user, completed=False)
    auth = f"Bearer {access_token_for(user)}"
    path = f"/api/{user.pk}/tasks/{task.pk}/complete"

    statuses = at_once(WRITERS + 1, lambda c, n: c.patch(path, HTTP_AUTHORIZATION=auth).status_code)

    assert statuses == [200] * (WRITERS + 1)
    task.refresh_from_db()
    assert task.completed is True  # An odd number of flips from pending.


def test_concurrent_puts_leave_one_written_version_never_a_mix(user):
    task = TaskFactory(user=user)
    auth = f"Bearer {access_token_for(user)}"
    path = f"/api/{user.pk}/tasks/{task.pk}"
    versions = [{"title": f"title {n}", "description": f"description {n}"} for n in range(WRITERS)]

    statuses = at_once(
        WRITERS, lambda c, n: c.put(path, versions[n], HTTP_AUTHORIZATION=auth).status_code
    )

    assert statuses == [200] * WRITERS
    task.refresh_from_db()
    assert {"title": task.title, "description": task.description} in versions


def test_concurrent_creates_all_persist(user):
    auth = f"Bearer {access_token_for(user)}"
    path = f"/api/{user.pk}/tasks"

    responses = at_once(
        WRITERS, lambda c, n: c.post(path, {"title": f"task {n}"}, HTTP_AUTHORIZATION=auth)
    )

    assert [r.status_code for r in responses] == [201] * WRITERS
    titles = set(Task.objects.filter(user=user).values_list("title", flat=True))
    assert titles == {f"task {n}" for n in range(WRITERS)}
    assert len({r.json()["id"] for r in responses}) == WRITERS
