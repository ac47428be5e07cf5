"""The list's sorts and keyset cursors: a page costs the same at the first task and the millionth.

A cursor holds the sort key and id of the last task served, signed by the service. The next
page starts strictly after that pair, so tasks created or deleted meanwhile neither repeat nor
skip others. Tasks without a due date come last in both due sorts: their cursor holds a
null, and the page after it continues among them by id.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core import signing
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from rest_framework.exceptions import ValidationError

from tasks.filters import SqlWithParams, Where
from tasks.models import Task
from tasks.rows import SELECT_TASKS, TASK_JSON_POSTGRESQL, TaskRow, fetch_task_rows


@dataclass(frozen=True)
class Sort:
    """One of the list's orders: a task field, then id, both in one direction.

    A nullable field puts its nulls last in either direction.
    """

    field: str
    descending: bool
    nullable: bool = False

    @property
    def order_by(self) -> str:
        # The ORDER BY of the indexes of migration 0002; no NULLS clause for NOT NULL fields.
        direction = "DESC" if self.descending else "ASC"
        nulls = " NULLS LAST" if self.nullable else ""
        return f'"{self.field}" {direction}{nulls}, "id" {direction}'

    def after(self, value: Any, task_id: int, connection: BaseDatabaseWrapper) -> SqlWithParams:
        """Tasks strictly after (value, id) in this order.

        The redundant bound on the field alone lets the database start its index scan at
        the cursor instead of filtering its way there from the first task.
        """
        op = "<" if self.descending else ">"
        column = f'"{self.field}"'
        if value is None:
            # Among the nulls, which come last: only ids remain to order them.
            return f'{column} IS NULL AND "id" {op} %s', [task_id]
        if self.field in DATETIME_FIELDS:
            value = connection.ops.adapt_datetimefield_value(value)
        after = f'{column} {op}= %s AND ({column} {op} %s OR ({column} = %s AND "id" {op} %s))'
        params = [value, value, value, task_id]
        return (f"(({after}) OR {column} IS NULL)", params) if self.nullable else (after, params)


SORTS = {
    "created": Sort("created_at", descending=False),
    "-created": Sort("created_at", descending=True),
    "updated": Sort("updated_at", descending=False),
    "-updated": Sort("updated_at", descending=True),
    "title": Sort("title", descending=False),
    "-title": Sort("title", descending=True),
    "due": Sort("due_at", descending=False, nullable=True),
    "-due": Sort("due_at", descending=True, nullable=True),
    # By rank: `-priority` is high first.
    "priority": Sort("priority", descending=False),
    "-priority": Sort("priority", descending=True),
}
DEFAULT_SORT = "-created"
DATETIME_FIELDS = {"created_at", "updated_at", "due_at"}
CURSOR_SALT = "tasks.sorting.cursor"


@dataclass(frozen=True)
class Page:
    """One page of tasks and the cursor of the next, None on the last page."""

    tasks: list[TaskRow]
    next_cursor: str | None


@dataclass(frozen=True)
class JsonPage:
    """One page of tasks as the API's JSON array, and the cursor of the next."""

    json: str
    next_cursor: str | None


def paginate(tasks: Where, *, sort_name: str, limit: int, cursor: str | None) -> Page:
    """The page of `tasks` in the named sort that starts after the cursor."""
    query = page_query(tasks, SELECT_TASKS, sort_name=sort_name, limit=limit, cursor=cursor)
    rows = fetch_task_rows(*query)
    if len(rows) <= limit:
        return Page(tasks=rows, next_cursor=None)
    return Page(tasks=rows[:limit], next_cursor=cursor_after(rows[limit - 1], sort_name=sort_name))


def paginate_json(tasks: Where, *, sort_name: str, limit: int, cursor: str | None) -> JsonPage:
    """The page `paginate` reads, each task written out by PostgreSQL (`TASK_JSON_POSTGRESQL`).

    Only the sort key and id of each row come back as values, for the next page's cursor.
    """
    select = JSON_PAGE_SELECTS[sort_name]
    with connection.cursor() as database:
        database.execute(
            *page_query(tasks, select, sort_name=sort_name, limit=limit, cursor=cursor)
        )
        rows = database.fetchall()
    next_cursor = None
    if len(rows) > limit:
        task_id, value, _ = rows[limit - 1]
        next_cursor = encode_cursor(value, task_id, sort_name=sort_name)
    return JsonPage(json=f"[{','.join(row[2] for row in rows[:limit])}]", next_cursor=next_cursor)


# The SELECT of `paginate_json` for each sort: each task's id, sort key and JSON.
JSON_PAGE_SELECTS = {
    sort_name: f'SELECT "id", "{sort.field}", {TASK_JSON_POSTGRESQL} FROM "{Task._meta.db_table}"'  # noqa: S608 (no input)
    for sort_name, sort in SORTS.items()
}


def page_query(
    tasks: Where, select: str, *, sort_name: str, limit: int, cursor: str | None
) -> SqlWithParams:
    """The one query of a page: `tasks` after the cursor, in the sort, one more than `limit`.

    The row beyond the page tells whether another page follows, without a COUNT.
    """
    sort = SORTS[sort_name]
    conditions, params = tasks.sql, tasks.params
    if cursor is not None:
        value, task_id = decode_cursor(cursor, sort_name=sort_name)
        after_sql, after_params = sort.after(value, task_id, connection)
        conditions, params = f"{conditions} AND {after_sql}", [*params, *after_params]
    sql = f"{select} WHERE {conditions} ORDER BY {sort.order_by} LIMIT %s"
    return sql, [*params, limit + 1]


def cursor_after(task: TaskRow, *, sort_name: str) -> str:
    """The cursor of the position after this task in the named sort."""
    return encode_cursor(getattr(task, SORTS[sort_name].field), task.id, sort_name=sort_name)


def encode_cursor(value: Any, task_id: int, *, sort_name: str) -> str:
    """The cursor of the position after the task with this id and sort key."""
    if isinstance(value, datetime):
        value = value.isoformat()  # Keeps the microseconds, so the position is exact.
    # Signed, so that a client can hand back only positions this service gave out: a forged
    # value (a date out of range, a NUL in a title) would otherwise reach the database.
    return signing.Signer(salt=CURSOR_SALT).sign_object([sort_name, value, task_id])


def decode_cursor(cursor: str, *, sort_name: str) -> tuple[Any, int]:
    """The (value, id) a cursor holds; a 400 if it is not one this sort handed out."""
    try:
        cursor_sort, value, task_id = signing.Signer(salt=CURSOR_SALT).unsign_object(cursor)
        if cursor_sort != sort_name:
            raise ValueError("cursor of another sort")
    except (signing.BadSignature, ValueError) as exc:
        raise ValidationError({"cursor": ["Invalid cursor."]}) from exc
    if value is not None and SORTS[sort_name].field in DATETIME_FIELDS:
        value = datetime.fromisoformat(value)
    return value, task_id
