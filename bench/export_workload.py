"""Turns the seeded database into the benchmark's workload: who calls, with which token, on what.

Run by bench/run.py with the benchmark's environment (DATABASE_URL, SECRET_KEY): the tokens
must be signed with the key the server under test verifies them with.

Every user may list and create. Tasks are split by id: seven in ten are the working set that
get, put and toggle address; the other three in ten are a pool that only deletes consume, in
a fixed shuffled order, so reads never land on a task that a delete removed.

It writes, for wrk's Lua script (one line per row, fields separated by spaces):
- users.txt: `user_id token`, line n being user n;
- owners.txt: `user_n task_id task_id ...`, the users that own working-set tasks;
- pool.txt: `user_n task_id`, in the order deletes take them;
and the same split as the tables bench_user, bench_owner, bench_task and bench_pool, from
which the pgbench scripts pick their random rows. It prints the row counts as JSON.
"""

import argparse
import json
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

SPLIT_SQL = [
    "DROP TABLE IF EXISTS bench_user, bench_owner, bench_task, bench_pool",
    """
    CREATE TABLE bench_user AS
    SELECT row_number() OVER (ORDER BY id) AS n, id AS user_id FROM users_user
    """,
    """
    CREATE TABLE bench_task AS
    SELECT row_number() OVER (ORDER BY user_id, id) AS n, user_id, id AS task_id
    FROM tasks_task WHERE id % 10 >= 3
    """,
    # An owner's tasks are the contiguous rows first_task .. first_task + task_count - 1.
    """
    CREATE TABLE bench_owner AS
    SELECT row_number() OVER (ORDER BY u.n) AS n, u.n AS user_n, t.user_id,
           min(t.n) AS first_task, count(*) AS task_count
    FROM bench_task t JOIN bench_user u ON u.user_id = t.user_id
    GROUP BY u.n, t.user_id
    """,
    """
    CREATE TABLE bench_pool AS
    SELECT row_number() OVER (ORDER BY md5(t.id::text)) AS n, u.n AS user_n, t.user_id,
           t.id AS task_id
    FROM tasks_task t JOIN bench_user u ON u.user_id = t.user_id
    WHERE t.id % 10 < 3
    """,
    "ALTER TABLE bench_user ADD PRIMARY KEY (n)",
    "ALTER TABLE bench_task ADD PRIMARY KEY (n)",
    "ALTER TABLE bench_owner ADD PRIMARY KEY (n)",
    "ALTER TABLE bench_pool ADD PRIMARY KEY (n)",
    "ANALYZE",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, help="Where to write the files for wrk.")
    data_dir = parser.parse_args().data_dir

    sys.path.insert(0, str(REPO_ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "todo_project.settings")
    import django

    django.setup()
    from django.db import connection

    from users.tokens import issue_tokens

    with connection.cursor() as cursor:
        for statement in SPLIT_SQL:
            cursor.execute(statement)

        cursor.execute("SELECT user_id FROM bench_user ORDER BY n")
        user_ids = [user_id for (user_id,) in cursor.fetchall()]
        with (data_dir / "users.txt").open("w") as users_file:
            for user_id in user_ids:
                users_file.write(f"{user_id} {issue_tokens(user_id=user_id).access}\n")

        cursor.execute(
            "SELECT o.user_n, array_agg(t.task_id ORDER BY t.n) FROM bench_owner o"
            " JOIN bench_task t ON t.user_id = o.user_id GROUP BY o.n, o.user_n ORDER BY o.n"
        )
        owners = cursor.fetchall()
        with (data_dir / "owners.txt").open("w") as owners_file:
            for user_n, task_ids in owners:
                owners_file.write(f"{user_n} {' '.join(map(str, task_ids))}\n")

        cursor.execute("SELECT user_n, task_id FROM bench_pool ORDER BY n")
        pool = cursor.fetchall()
        with (data_dir / "pool.txt").open("w") as pool_file:
            for user_n, task_id in pool:
                pool_file.write(f"{user_n} {task_id}\n")

        cursor.execute("SELECT count(*) FROM tasks_task")
        (tasks,) = cursor.fetchone()

    counts = {"users": len(user_ids), "tasks": tasks, "owners": len(owners), "pool": len(pool)}
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
