"""The list's filters, each one condition on the caller's tasks that an index can serve.

The list is the API's most frequent request, so its query is written as SQL rather than
built and compiled by the ORM for every page (about a third of a list's Python time,
docs/performance.md). The conditions are the ones Django would write for the same
lookups, so PostgreSQL finds words through the trigram GIN index and tags through the
jsonb GIN index (both led by the owner, migration 0002); SQLite, for development and
tests, gets the same answers from plain SQL.
"""

import json
from datetime import datetime
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.lookups import Lookup
from django.db.models.sql.compiler import SQLCompiler

SqlWithParams = tuple[str, list[Any]]


class Where:
    """Conditions joined by AND, with their parameters in the order they appear."""

    def __init__(self, condition: str, *params: Any) -> None:
        self.conditions = [condition]
        self.params = list(params)

    def add(self, condition: str, *params: Any) -> None:
        self.conditions.append(condition)
        self.params.extend(params)

    @property
    def sql(self) -> str:
        return " AND ".join(self.conditions)


def tags_contain_all(column_sql: str, connection: BaseDatabaseWrapper) -> str:
    """A condition true when the JSON array column holds every tag of the one parameter.

    The parameter is the wanted tags as a JSON array; only the column's own SQL goes into
    the text.
    """
    if connection.vendor == "postgresql":
        # jsonb containment, which the GIN index (jsonb_path_ops) answers.
        return f"{column_sql} @> %s::jsonb"
    # No tag wanted that the task does not carry.
    return (
        "NOT EXISTS (SELECT 1 FROM json_each(%s) AS wanted WHERE wanted.value NOT IN "  # noqa: S608
        f"(SELECT value FROM json_each({column_sql})))"
    )


def contains_text(column_sql: str, connection: BaseDatabaseWrapper) -> str:
    """A case-insensitive substring test of the column against a LIKE pattern parameter.

    On PostgreSQL, ILIKE on the bare column, which the trigram index serves (Django's
    `icontains` compares UPPER(column), which it cannot); on SQLite, Django's `icontains`.
    """
    if connection.vendor == "postgresql":
        return f"{column_sql} ILIKE %s"
    return f"{column_sql} LIKE %s ESCAPE '\\'"


class ContainsAllTags(Lookup):
    """Tasks whose tags include every one of the given (lower-cased) tags: for the admin."""

    lookup_name = "contains_all_tags"
    prepare_rhs = False

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> SqlWithParams:
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        condition = tags_contain_all(lhs_sql, connection)
        wanted = json.dumps(self.rhs)
        # The wanted tags come before the column in SQLite's condition, after it otherwise.
        if connection.vendor == "postgresql":
            return condition, [*lhs_params, wanted]
        return condition, [wanted, *lhs_params]


def tasks_where(
    *, user_id: str, params: dict[str, Any], now: datetime, connection: BaseDatabaseWrapper
) -> Where:
    """The caller's tasks that match the list's validated query parameters, `overdue`
    judged at `now`."""
    adapt_datetime = connection.ops.adapt_datetimefield_value
    where = Where('"user_id" = %s', user_id)
    if params["status"] != "all":
        where.add('"completed" = %s', params["status"] == "completed")
    in_title = contains_text('"title"', connection)
    in_description = contains_text('"description"', connection)
    for word in params.get("q", "").split():
        pattern = f"%{connection.ops.prep_for_like_query(word)}%"
        where.add(f"({in_title} OR {in_description})", pattern, pattern)
    if priorities := params.get("priority"):
        where.add(f'"priority" IN ({", ".join(["%s"] * len(priorities))})', *map(int, priorities))
    if tags := params.get("tag"):
        where.add(tags_contain_all('"tags"', connection), json.dumps(tags))
    if "due_after" in params:
        where.add('"due_at" >= %s', adapt_datetime(params["due_after"]))
    if "due_before" in params:
        where.add('"due_at" < %s', adapt_datetime(params["due_before"]))
    if params["overdue"] is True:
        where.add('NOT "completed" AND "due_at" < %s', adapt_datetime(now))
    elif params["overdue"] is False:
        where.add('("completed" OR "due_at" IS NULL OR "due_at" >= %s)', adapt_datetime(now))
    return where
