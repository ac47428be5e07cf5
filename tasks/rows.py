"""Tasks read as rows: the API's reads (a page of the list, one task) in SQL.

Reads are most of the API's traffic. Building and compiling their queries through the ORM
and making a model instance of every row was about a third of a list's Python time
(docs/performance.md); these queries are the ones the ORM would send, written once.
Writes stay with the ORM.
"""

from collections import namedtuple
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Field

from tasks.models import Priority, Task

# A task as the API reads it: its columns by name, without the cost of a model instance.
TaskRow = namedtuple("TaskRow", [field.attname for field in Task._meta.concrete_fields])
TASK_COLUMNS = ", ".join(f'"{column}"' for column in TaskRow._fields)
SELECT_TASKS = f'SELECT {TASK_COLUMNS} FROM "{Task._meta.db_table}"'  # noqa: S608 (no input)


def rfc3339_sql(column: str) -> str:
    """PostgreSQL's text of an instant as `tasks.serializers.rfc3339` writes it."""
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""


PRIORITY_LABEL_SQL = (
    'CASE "priority" '
    + " ".join(f"WHEN {priority.value} THEN '{priority.label}'" for priority in Priority)
    + " END"
)
# A task as the API writes it out (TaskSerializer.to_representation), written by PostgreSQL:
# a list's page then costs the same Python whatever its length (docs/performance.md). A test
# holds the two equal.
TASK_JSON_POSTGRESQL = (
    "json_build_object("
    + ", ".join(
        f"'{name}', {value}"
        for name, value in {
            "id": '"id"',
            "user_id": '"user_id"',
            "title": '"title"',
            "description": '"description"',
            "completed": '"completed"',
            "priority": PRIORITY_LABEL_SQL,
            "tags": '"tags"',
            "due_at": rfc3339_sql('"due_at"'),
            "completed_at": rfc3339_sql('"completed_at"'),
            "created_at": rfc3339_sql('"created_at"'),
            "updated_at": rfc3339_sql('"updated_at"'),
        }.items()
    )
    + ")::text"
)
# The largest id a row can have (bigint): beyond it a task cannot exist, and the database
# would refuse the number rather than find nothing.
MAX_TASK_ID = 2**63 - 1


def fetch_task_rows(sql: str, params: list[Any]) -> list[TaskRow]:
    """The rows of a SELECT_TASKS query, with the values the model's fields would hold."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    converters = row_converters(connection.vendor)
    if not converters:
        return [TaskRow._make(row) for row in rows]
    converted = []
    for row in rows:
        values = list(row)
        for index, column, functions in converters:
            for function in functions:
                values[index] = function(values[index], column, connection)
        converted.append(TaskRow._make(values))
    return converted


@cache
def row_converters(vendor: str) -> list[tuple[int, Field, list]]:
    """The database's converters of each column, as the ORM applies them to a query's rows.

    PostgreSQL needs only the tags read from JSON; SQLite also its booleans and times.
    They depend on the database's kind and the field alone, so they are looked up once.
    """
    converters = []
    for index, field in enumerate(Task._meta.concrete_fields):
        column = field.get_col(Task._meta.db_table)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            converters.append((index, column, found))
    return converters


def task_row_get(*, user_id: str, task_id: int) -> TaskRow | None:
    """One of the user's tasks, or None: another user's task does not exist for them."""
    if not 0 < task_id <= MAX_TASK_ID:
        return None
    rows = fetch_task_rows(f'{SELECT_TASKS} WHERE "user_id" = %s AND "id" = %s', [user_id, task_id])
    return rows[0] if rows else None
