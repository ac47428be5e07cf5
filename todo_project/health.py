"""Liveness and readiness probes for the platform's health checks."""

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from todo_project.problems import DATABASE_RETRY_AFTER


@require_safe
def health(request: HttpRequest) -> JsonResponse:
    """The process is up: touches nothing, so it stays cheap and true during a database outage."""
    return JsonResponse({"status": "ok"})


@require_safe
def ready(request: HttpRequest) -> JsonResponse:
    """The service can serve: the database answers a query."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse(
            {"status": "unavailable", "database": "unreachable"},
            status=503,
            headers=DATABASE_RETRY_AFTER,
        )
    return JsonResponse({"status": "ok", "database": "ok"})
