"""One log line per request, tagged with a request id, and a formatter that writes JSON lines."""

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

logger = logging.getLogger("todo_project.requests")

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's id is echoed into our logs and headers: only short, plain ones are trusted.
TRUSTED_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


class RequestLogMiddleware:
    """Logs method, path, status, duration, user id and request id of every request, and
    returns the request id in the X-Request-ID header.

    The path is logged without its query string, and headers and bodies not at all, so that
    no token or password ever reaches the logs.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_of(request)
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        response[REQUEST_ID_HEADER] = request_id
        logger.info(
            "%s %s %s %.1f ms",
            request.method,
            request.path,
            response.status_code,
            duration_ms,
            extra={
                "request_id": request_id,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "user_id": authenticated_user_id(request),
            },
        )
        return response


def request_id_of(request: HttpRequest) -> str:
    """The caller's X-Request-ID when it is plain enough to trust, else a new one."""
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    return incoming if TRUSTED_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


def authenticated_user_id(request: HttpRequest) -> str | None:
    """The id of the user DRF authenticated; None for an anonymous caller.

    DRF puts its user on the request. Django's session user is still a lazy object then:
    it is left unevaluated, so that logging never costs a query (/health touches nothing).
    """
    user = getattr(request, "user", None)
    if user is None or isinstance(user, SimpleLazyObject):
        return None
    return user.pk


# What every LogRecord carries; anything else on a record came in through `extra`.
_STANDARD_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_PLAIN_VALUES = (str, int, float, bool, type(None))


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and plain `extra` fields.

    Objects passed as `extra` are left out: Django's own records carry the request, whose
    text is the full URL, query string (and any token in it) included.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(
            (key, value)
            for key, value in vars(record).items()
            if key not in _STANDARD_RECORD_FIELDS and isinstance(value, _PLAIN_VALUES)
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)
