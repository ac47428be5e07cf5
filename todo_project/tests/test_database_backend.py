"""The PostgreSQL backend checks a connection's health only after it sat idle."""

import time
from unittest import mock

import pytest
from django.db import connection

from todo_project.postgresql.base import HEALTH_CHECK_AFTER_IDLE_SECONDS

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
