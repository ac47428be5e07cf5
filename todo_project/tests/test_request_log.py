"""One structured log line per request, and the X-Request-ID that ties a response to it."""

import json
import logging
import re
import runpy
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext

import todo_project
from todo_project.request_log import JSONFormatter
from users.tests.factories import access_token_for

REQUEST_LOGGER = "todo_project.requests"
NEW_REQUEST_ID = re.compile(r"[0-9a-f]{32}")
SETTINGS_FILE = str(Path(todo_project.__file__).with_name("settings.py"))


@pytest.fixture
def request_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Captures every record, request lines included (tests otherwise log at WARNING)."""
    caplog.set_level(logging.DEBUG)
    return caplog


def request_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == REQUEST_LOGGER]


def all_output(caplog: pytest.LogCaptureFixture) -> str:
    """Every captured record as both formats would write it."""
    text = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    return "\n".join(
        formatter.format(record)
        for record in caplog.records
        for formatter in (JSONFormatter(), text)
    )


def test_a_request_logs_one_line_with_method_path_status_duration_user_and_request_id(
    auth_client, user, request_logs
):
    response = auth_client.get(f"/api/{user.pk}/tasks")

    assert response.status_code == 200
    assert response.json() == []
    [line] = request_lines(request_logs)
    assert line.levelname == "INFO"
    assert (line.method, line.path, line.status, line.user_id) == (
        "GET",
        f"/api/{user.pk}/tasks",
        200,
        user.pk,
    )
    assert isinstance(line.duration_ms, float)
    assert line.duration_ms >= 0
    assert NEW_REQUEST_ID.fullmatch(line.request_id)
    assert response["X-Request-ID"] == line.request_id
    assert line.getMessage() == f"GET /api/{user.pk}/tasks 200 {line.duration_ms:.1f} ms"


def test_the_json_line_holds_the_fields_and_nothing_of_the_request_object(
    auth_client, user, request_logs
):
    auth_client.get(f"/api/{user.pk}/tasks")

    [line] = request_lines(request_logs)
    entry = json.loads(JSONFormatter().format(line))
    assert entry == {
        "time": entry["time"],
        "level": "INFO",
        "logger": REQUEST_LOGGER,
        "message": line.getMessage(),
        "request_id": line.request_id,
        "method": "GET",
        "path": f"/api/{user.pk}/tasks",
        "status": 200,
        "duration_ms": line.duration_ms,
        "user_id": user.pk,
    }
    assert entry["time"].endswith("+00:00")


def test_an_anonymous_request_logs_a_null_user(api_client, request_logs):
    response = api_client.get("/api/auth/me")

    assert response.status_code == 401
    assert response.json()["status"] == 401
    [line] = request_lines(request_logs)
    assert (line.path, line.status, line.user_id) == ("/api/auth/me", 401, None)
    assert response["X-Request-ID"] == line.request_id


@pytest.mark.parametrize("request_id", ["frontend-7f3a.b_9", "x" * 128])
def test_a_plain_incoming_request_id_is_kept_and_returned(api_client, request_logs, request_id):
    response = api_client.get("/health", HTTP_X_REQUEST_ID=request_id)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["X-Request-ID"] == request_id
    [line] = request_lines(request_logs)
    assert line.request_id == request_id


@pytest.mark.parametrize(
    "request_id", ["x" * 129, "two words", "new\nline", 'quote"d', "ü", "../../etc", ""]
)
def test_an_unsafe_or_empty_incoming_request_id_is_replaced(api_client, request_logs, request_id):
    response = api_client.get("/health", HTTP_X_REQUEST_ID=request_id)

    assert response.status_code == 200
    assert NEW_REQUEST_ID.fullmatch(response["X-Request-ID"])
    [line] = request_lines(request_logs)
    assert line.request_id == response["X-Request-ID"]


def test_each_request_gets_its_own_request_id(api_client, request_logs):
    first = api_client.get("/health")
    second = api_client.get("/health")

    assert first["X-Request-ID"] != second["X-Request-ID"]
    assert [line.request_id for line in request_lines(request_logs)] == [
        first["X-Request-ID"],
        second["X-Request-ID"],
    ]


def test_no_token_password_or_query_string_reaches_the_logs(api_client, user, request_logs):
    token = access_token_for(user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    listed = api_client.get(f"/api/{user.pk}/tasks?token=query-secret&limit=1")
    api_client.credentials(HTTP_AUTHORIZATION="Bearer forged-token-secret")
    refused = api_client.get(f"/api/{user.pk}/tasks?token=query-secret")
    api_client.credentials()
    login = api_client.post(
        "/api/auth/login", {"email": user.email, "password": "password-secret"}, format="json"
    )

    assert (listed.status_code, refused.status_code, login.status_code) == (200, 401, 401)
    assert [line.path for line in request_lines(request_logs)] == [
        f"/api/{user.pk}/tasks",
        f"/api/{user.pk}/tasks",
        "/api/auth/login",
    ]
    output = all_output(request_logs)
    assert "Unauthorized: /api/auth/login" in output  # Django's own records are in it too
    for secret in (token, "forged-token-secret", "query-secret", "password-secret"):
        assert secret not in output


def test_errors_the_problem_middleware_answers_are_logged_with_their_final_status(
    api_client, request_logs
):
    not_found = api_client.get("/api/no/such/path")
    too_large = api_client.post(
        "/api/auth/login", "{}", content_type="application/json", CONTENT_LENGTH=str(2**21)
    )

    assert (not_found.status_code, too_large.status_code) == (404, 413)
    assert not_found["Content-Type"] == too_large["Content-Type"] == "application/problem+json"
    assert [(line.path, line.status) for line in request_lines(request_logs)] == [
        ("/api/no/such/path", 404),
        ("/api/auth/login", 413),
    ]
    assert NEW_REQUEST_ID.fullmatch(too_large["X-Request-ID"])


@pytest.mark.django_db
def test_logging_a_request_costs_no_query_even_with_a_session_cookie(api_client, request_logs):
    api_client.cookies["sessionid"] = "some-session"

    with CaptureQueriesContext(connection) as queries:
        response = api_client.get("/health")

    assert response.status_code == 200
    assert len(queries) == 0
    [line] = request_lines(request_logs)
    assert line.user_id is None


def test_the_json_formatter_writes_one_line_with_plain_extras_and_the_exception():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("somewhere").makeRecord(
            "somewhere",
            logging.ERROR,
            __file__,
            1,
            "failed for %s",
            ("ada",),
            sys.exc_info(),
            extra={"attempt": 2, "request": object()},
        )

    line = JSONFormatter().format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert {key: entry[key] for key in ("level", "logger", "message", "attempt")} == {
        "level": "ERROR",
        "logger": "somewhere",
        "message": "failed for ada",
        "attempt": 2,
    }
    assert "request" not in entry
    assert entry["exception"].endswith("ValueError: boom")


@pytest.mark.parametrize(
    ("environment", "log_format"),
    [
        ({"DEBUG": "false"}, "json"),
        ({"DEBUG": "true"}, "text"),
        ({"DEBUG": "true", "LOG_FORMAT": "json"}, "json"),
        ({"DEBUG": "false", "LOG_FORMAT": "text"}, "text"),
    ],
)
def test_the_log_format_is_json_in_production_and_text_when_debugging(
    monkeypatch, environment, log_format
):
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    # A fresh evaluation of the settings module, as a new process would read it.
    settings = runpy.run_path(SETTINGS_FILE)

    assert settings["LOG_FORMAT"] == log_format
    assert settings["LOGGING"]["handlers"]["console"]["formatter"] == log_format


def test_an_unknown_log_format_stops_the_service_from_starting(monkeypatch):
    monkeypatch.setenv("LOG_FORMAT", "xml")

    with pytest.raises(ImproperlyConfigured, match="xml"):
        runpy.run_path(SETTINGS_FILE)
