"""The list's filters, each one condition on the caller's tasks that an index can serve.

PostgreSQL finds words through the trigram GIN index and tags through the jsonb GIN index
(both led by the owner, migration 0002); SQLite, for development and tests, gets the same
answers from plain SQL.
"""

import json
from datetime import datetime
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, Q, QuerySet
from django.db.models.lookups import IContains, Lookup
from django.db.models.sql.compiler import SQLCompiler

from tasks.models import Task

SqlWithParams = tuple[str, list[Any]]


class ILikeContains(IContains):
    """A case-insensitive substring test that PostgreSQL's trigram index can answer.

    Django's `icontains` compares UPPER(column), which the index on the bare column
    cannot serve; ILIKE can. The pattern is escaped as `icontains` escapes it.
    """

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> SqlWithParams:
        # The bare column, not process_lhs(), which would wrap it in UPPER() for icontains.
        lhs_sql, lhs_params = compiler.compile(self.lhs)
        rhs_sql, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs_sql} ILIKE {rhs_sql}", [*lhs_params, *rhs_params]


class ContainsAllTags(Lookup):
    """Tasks whose tags include every one of the given (lower-cased) tags."""

    lookup_name = "contains_all_tags"
    prepare_rhs = False

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> SqlWithParams:
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        # jsonb containment, which the GIN index (jsonb_path_ops) answers.
        return f"{lhs_sql} @> %s::jsonb", [*lhs_params, json.dumps(self.rhs)]

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> SqlWithParams:
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        # No tag wanted that the task does not carry. Only the column's compiled SQL goes
        # into the text: the tags are a parameter.
        return (
            "NOT EXISTS (SELECT 1 FROM json_each(%s) AS wanted WHERE wanted.value NOT IN "  # noqa: S608
            f"(SELECT value FROM json_each({lhs_sql})))",
            [json.dumps(self.rhs), *lhs_params],
        )


def tasks_filter(tasks: QuerySet[Task], *, params: dict[str, Any], now: datetime) -> QuerySet[Task]:
    """The tasks that match the list's validated query parameters, `overdue` judged at `now`."""
    if params["status"] != "all":
        tasks = tasks.filter(completed=params["status"] == "completed")
    for word in params.get("q", "").split():
        tasks = tasks.filter(
            Q(ILikeContains(F("title"), word)) | Q(ILikeContains(F("description"), word))
        )
    if priorities := params.get("priority"):
        tasks = tasks.filter(priority__in=priorities)
    if tags := params.get("tag"):
        tasks = tasks.filter(ContainsAllTags(F("tags"), tags))
    if "due_after" in params:
        tasks = tasks.filter(due_at__gte=params["due_after"])
    if "due_before" in params:
        tasks = tasks.filter(due_at__lt=params["due_before"])
    overdue = Q(completed=False, due_at__lt=now)
    if params["overdue"] is True:
        tasks = tasks.filter(overdue)
    elif params["overdue"] is False:
        tasks = tasks.filter(~overdue)
    return tasks
