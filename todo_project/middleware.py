"""Middleware that keeps every error under /api/ in the contract's problem+json form."""

import logging
from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from todo_project.problems import (
    DATABASE_RETRY_AFTER,
    DATABASE_UNAVAILABLE_DETAIL,
    PROBLEM_CONTENT_TYPE,
    is_database_outage,
    problem_response,
)

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
JSON_CONTENT_TYPES = (PROBLEM_CONTENT_TYPE, "application/json")


class ProblemDetailsMiddleware:
    """Refuses oversized bodies before they are read, and turns Django's own error pages
    (404 for an unknown path, 405, 500, a database outage) into problem documents."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        if declared_body_size(request) > settings.MAX_REQUEST_BODY_BYTES:
            return problem_response(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"The request body is larger than {settings.MAX_REQUEST_BODY_BYTES} bytes.",
            )
        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            JSON_CONTENT_TYPES
        ):
            # Django's error pages are HTML, and with DEBUG on they show code: never here.
            response = problem_response(
                response.status_code,
                HTTPStatus(response.status_code).description,
                headers={"Allow": response["Allow"]} if response.has_header("Allow") else None,
            )
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path_info.startswith(API_PREFIX):
            return None
        if is_database_outage(exception):
            logger.warning("database unavailable: %s", exception.__class__.__name__)
            return problem_response(
                HTTPStatus.SERVICE_UNAVAILABLE,
                DATABASE_UNAVAILABLE_DETAIL,
                headers=DATABASE_RETRY_AFTER,
            )
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response(
            HTTPStatus.INTERNAL_SERVER_ERROR, "The server could not complete the request."
        )


def declared_body_size(request: HttpRequest) -> int:
    """The body size the client announced in Content-Length (0 when absent or malformed)."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
