"""Every error under /api/ is a problem document (RFC 9457), whoever raises it."""

import json
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.http import HttpResponse
from rest_framework import exceptions
from rest_framework.test import APIClient

from tasks.models import Task
from tasks.tests.factories import TaskFactory
from tasks.tests.test_api import PROBLEM_CONTENT_TYPE, tasks_url
from tasks.views import TaskViewSet

DATABASE_UNAVAILABLE = {
    "type": "about:blank",
    "title": "Service Unavailable",
    "status": 503,
    "detail": "The database is unavailable; try again shortly.",
}
INTERNAL_ERROR = {
    "type": "about:blank",
    "title": "Internal Server Error",
    "status": 500,
    "detail": "The server could not complete the request.",
}
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
UNKNOWN_PATH = {
    "type": "about:blank",
    "title": "Not Found",
    "status": 404,
    "detail": "Nothing matches the given URI",
}


def problem(response: HttpResponse) -> dict[str, Any]:
    """The problem document of an error response, after checking its form."""
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert body["type"] == "about:blank"
    assert body["status"] == response.status_code
    assert isinstance(body["title"], str)
    assert isinstance(body["detail"], str)
    return body


@pytest.fixture
def failing_client(auth_client: APIClient) -> APIClient:
    """`auth_client`, answering with the server's 500 instead of raising the view's exception."""
    auth_client.raise_request_exception = False
    return auth_client


@pytest.fixture
def broken_view(monkeypatch: pytest.MonkeyPatch) -> None:
    """The task list fails with an unexpected error that names internals."""

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError('SELECT "secret" FROM "tasks_task": the statement failed')

    monkeypatch.setattr(TaskViewSet, "list", fail)


def database_down(
    affects: Callable[[str], bool] = lambda sql: True,
) -> AbstractContextManager[None]:
    """Until the block ends, the statements `affects` picks fail as with an unreachable server."""

    def refuse(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        if affects(sql):
            raise OperationalError("connection to server at 10.0.0.5 failed: Connection refused")
        return execute(sql, *args)

    return connection.execute_wrapper(refuse)


# --- Django's own errors ---------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/nowhere", "/api/someone/projects", "/api/someone/tasks/abc"]
)
def test_an_unknown_api_path_is_a_404_problem_even_for_a_browser(auth_client, path):
    response = auth_client.get(path, HTTP_ACCEPT=BROWSER_ACCEPT)

    assert response.status_code == 404
    assert problem(response) == UNKNOWN_PATH


def test_an_unknown_api_path_is_a_404_problem_when_the_service_is_mounted_under_a_prefix(
    auth_client,
):
    response = auth_client.get("/api/nowhere", SCRIPT_NAME="/todo")

    assert response.status_code == 404
    assert problem(response) == UNKNOWN_PATH


def test_a_method_a_route_does_not_allow_is_a_405_problem_with_allow(auth_client, user):
    response = auth_client.delete(tasks_url(user))

    assert response.status_code == 405
    assert problem(response)["detail"] == 'Method "DELETE" not allowed.'
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "POST", "HEAD", "OPTIONS"}


def test_post_on_a_task_is_a_405_problem(auth_client, user):
    task = TaskFactory(user=user)

    response = auth_client.post(f"{tasks_url(user)}/{task.pk}", {"title": "x"})

    assert response.status_code == 405
    assert problem(response)["detail"] == 'Method "POST" not allowed.'


def test_a_body_over_one_mebibyte_is_a_413_problem_and_creates_nothing(auth_client, user):
    body = json.dumps({"title": "Big", "padding": "x" * settings.MAX_REQUEST_BODY_BYTES})

    response = auth_client.post(tasks_url(user), body, content_type="application/json")

    assert response.status_code == 413
    assert problem(response)["detail"] == "The request body is larger than 1048576 bytes."
    assert not Task.objects.exists()


def test_a_body_of_exactly_one_mebibyte_is_accepted(auth_client, user):
    # Padded with a field the API ignores.
    envelope = json.dumps({"title": "Big", "padding": ""})
    padding = "x" * (settings.MAX_REQUEST_BODY_BYTES - len(envelope))
    body = json.dumps({"title": "Big", "padding": padding})
    assert len(body) == 1024 * 1024

    response = auth_client.post(tasks_url(user), body, content_type="application/json")

    assert response.status_code == 201
    assert Task.objects.get().title == "Big"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", "title=Buy milk"),
        ("application/x-www-form-urlencoded", "title=Buy+milk"),
        ("application/xml", "<task><title>Buy milk</title></task>"),
    ],
)
def test_a_body_that_is_not_json_is_a_415_problem(auth_client, user, content_type, body):
    response = auth_client.post(tasks_url(user), body, content_type=content_type)

    assert response.status_code == 415
    assert problem(response)["detail"] == f'Unsupported media type "{content_type}" in request.'
    assert not Task.objects.exists()


def test_a_multipart_form_is_a_415_problem_on_the_completion_toggle(auth_client, user):
    task = TaskFactory(user=user, completed=False)

    response = auth_client.patch(
        f"{tasks_url(user)}/{task.pk}/complete", {"completed": True}, format="multipart"
    )

    assert response.status_code == 415
    assert problem(response)["title"] == "Unsupported Media Type"
    assert Task.objects.get().completed is False


# --- The API's own errors --------------------------------------------------------------


def test_a_missing_token_is_a_401_problem_with_a_bearer_challenge(api_client, user):
    response = api_client.get(tasks_url(user))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert problem(response) == {
        "type": "about:blank",
        "title": "Unauthorized",
        "status": 401,
        "detail": "Authentication credentials were not provided.",
    }


def test_a_validation_failure_is_a_400_problem_with_errors_per_field(auth_client, user):
    response = auth_client.post(tasks_url(user), {"title": " "})

    assert response.status_code == 400
    assert problem(response) == {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "Invalid input.",
        "errors": {"title": ["This field may not be blank."]},
    }


def test_being_throttled_is_a_429_problem_with_retry_after(auth_client, user, monkeypatch):
    def throttled(*args: Any, **kwargs: Any) -> None:
        raise exceptions.Throttled(wait=30)

    monkeypatch.setattr(TaskViewSet, "list", throttled)

    response = auth_client.get(tasks_url(user))

    assert response.status_code == 429
    assert problem(response)["title"] == "Too Many Requests"
    assert int(response["Retry-After"]) >= 30


# --- Unexpected errors -----------------------------------------------------------------


@pytest.mark.usefixtures("broken_view")
def test_an_unexpected_error_is_a_500_problem_that_shows_nothing_of_it(
    failing_client, user, caplog
):
    with caplog.at_level(logging.ERROR, logger="todo_project.middleware"):
        response = failing_client.get(tasks_url(user))

    assert response.status_code == 500
    assert problem(response) == INTERNAL_ERROR
    assert b"secret" not in response.content
    assert b"Traceback" not in response.content
    # The details go to the log, for the people who run the service.
    assert "RuntimeError" in caplog.text


@pytest.mark.usefixtures("broken_view")
def test_with_debug_on_a_500_under_the_api_is_still_a_problem_without_a_stack_trace(
    failing_client, user, settings
):
    settings.DEBUG = True

    response = failing_client.get(tasks_url(user))

    assert response.status_code == 500
    assert problem(response) == INTERNAL_ERROR
    assert b"Traceback" not in response.content


def test_with_debug_on_an_unknown_api_path_is_still_a_404_problem(auth_client, settings):
    settings.DEBUG = True

    response = auth_client.get("/api/nowhere", HTTP_ACCEPT=BROWSER_ACCEPT)

    assert response.status_code == 404
    assert problem(response) == UNKNOWN_PATH


# --- The database --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "body"), [("get", None), ("post", {"title": "Lost to the outage"})]
)
def test_a_database_outage_is_a_503_problem_with_retry_after(auth_client, user, method, body):
    with database_down():
        response = getattr(auth_client, method)(tasks_url(user), body)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert problem(response) == DATABASE_UNAVAILABLE
    assert b"10.0.0.5" not in response.content
    assert not Task.objects.exists()


def test_an_outage_after_authentication_is_a_503_problem_too(auth_client, user):
    # The user lookup succeeds; the database goes away before the tasks are read.
    with database_down(lambda sql: "tasks_task" in sql):
        response = auth_client.get(tasks_url(user))

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert problem(response) == DATABASE_UNAVAILABLE


@pytest.mark.django_db
def test_ready_answers_200_json_when_the_database_answers(client):
    response = client.get("/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_ready_answers_503_json_with_retry_after_when_the_database_fails(client):
    with database_down():
        response = client.get("/ready")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "5"
    assert response.json() == {"status": "unavailable", "database": "unreachable"}


@pytest.mark.django_db
def test_health_answers_ok_without_touching_the_database(client, django_assert_num_queries):
    with database_down(), django_assert_num_queries(0):
        response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
