"""Errors as RFC 9457 problem details: the one shape every client sees under /api/."""

import logging
import math
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status

PROBLEM_CONTENT_TYPE = "application/problem+json"

DATABASE_UNAVAILABLE_DETAIL = "The database is unavailable; try again shortly."
# Neon wakes from scale-to-zero within seconds; a client that waits this long usually succeeds.
DATABASE_RETRY_AFTER = {"Retry-After": "5"}

logger = logging.getLogger(__name__)


class PayloadTooLarge(exceptions.APIException):
    """A request body over the configured maximum."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def problem_body(status_code: int, detail: str, errors: Any = None) -> dict[str, Any]:
    """The problem document for a status, a human-readable detail and optional field errors."""
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def problem_response(
    status_code: int,
    detail: str,
    *,
    errors: Any = None,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    """A response carrying a problem document.

    A plain Django response even inside DRF's views: DRF would render an error with the
    view's negotiated renderer (YAML for the schema, HTML for the docs), and problem
    documents are JSON whatever the view speaks.
    """
    return JsonResponse(
        problem_body(status_code, detail, errors),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


def is_database_outage(exc: BaseException) -> bool:
    """Whether an exception means the database could not be reached, not that a query was wrong."""
    return isinstance(exc, OperationalError | InterfaceError)


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> JsonResponse | None:
    """DRF's exception handler, answering every API error as a problem document.

    Returns None for anything unexpected, so that it reaches ProblemDetailsMiddleware,
    which logs it and answers 500.
    """
    if is_database_outage(exc):
        logger.warning("database unavailable: %s", exc.__class__.__name__)
        return problem_response(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            DATABASE_UNAVAILABLE_DETAIL,
            headers=DATABASE_RETRY_AFTER,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    if not isinstance(exc, exceptions.APIException):
        return None

    headers = {}
    if auth_header := getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = auth_header
    if wait := getattr(exc, "wait", None):
        # Whole seconds, rounded up: DRF's Throttled has already rounded its wait up, so
        # adding a second here would promise more than the window (61 s on a 60 s window).
        headers["Retry-After"] = str(math.ceil(wait))

    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return problem_response(exc.status_code, "Invalid input.", errors=errors, headers=headers)
    return problem_response(exc.status_code, str(exc.detail), headers=headers)
