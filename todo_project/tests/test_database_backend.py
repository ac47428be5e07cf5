"""The PostgreSQL backend: health checks only after idling, times read by compiled code."""

import time
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.db import connection
from psycopg.pq import Format

from tasks.models import Task
from tasks.tests.factories import TaskFactory
from todo_project.postgresql.base import (
    COMPILED_TIMESTAMPTZ_LOADER,
    HEALTH_CHECK_AFTER_IDLE_SECONDS,
    TIMESTAMPTZ_OID,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's backend"),
]


@pytest.fixture
def new_request(settings):
    """The state at the start of a request: health checks on, none done yet."""
    connection.ensure_connection()
    connection.health_check_enabled = True
    connection.health_check_done = False
    with mock.patch.object(connection, "is_usable", wraps=connection.is_usable) as is_usable:
        yield is_usable


def test_a_connection_used_moments_ago_is_not_checked(new_request):
    connection.last_used_at = time.monotonic() - HEALTH_CHECK_AFTER_IDLE_SECONDS / 2

    connection.close_if_health_check_failed()

    new_request.assert_not_called()
    assert connection.health_check_done


def test_an_idle_connection_is_checked_once_per_request(new_request):
    connection.last_used_at = time.monotonic() - HEALTH_CHECK_AFTER_IDLE_SECONDS - 1

    connection.close_if_health_check_failed()
    connection.close_if_health_check_failed()

    new_request.assert_called_once()
    assert connection.connection is not None


# Outside a test transaction: Django does not close a connection in the middle of one.
@pytest.mark.django_db(transaction=True)
def test_an_idle_connection_that_fails_its_check_is_replaced(new_request):
    connection.last_used_at = time.monotonic() - HEALTH_CHECK_AFTER_IDLE_SECONDS - 1
    new_request.side_effect = lambda: False  # As a connection the server dropped answers.

    connection.close_if_health_check_failed()

    assert connection.connection is None
    with connection.cursor() as cursor:  # The next query opens a new connection.
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_times_are_read_by_the_compiled_loader_as_utc_instants():
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz", ["2026-03-29 01:30:00.123456+02:00"])
        (value,) = cursor.fetchone()
        loader = cursor.cursor.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)

    assert loader is COMPILED_TIMESTAMPTZ_LOADER
    assert value == datetime(2026, 3, 28, 23, 30, 0, 123456, tzinfo=UTC)
    assert value.tzinfo is UTC  # As Django's own loader gives it: aware, in UTC.


def test_a_task_reads_back_the_instants_it_was_written_with():
    due_at = datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    task = TaskFactory(due_at=due_at)

    read = Task.objects.get(pk=task.pk)

    assert (read.due_at, read.created_at) == (due_at, task.created_at)
    assert read.due_at.tzinfo is UTC
