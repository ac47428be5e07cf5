"""Times the service's Python per request, one kind of request at a time, in one thread.

Each request goes through Django's WSGI handler exactly as gunicorn hands it over (the
whole middleware stack, DRF, the ORM and the database round trips), so the figures are
what one worker thread spends on it, without gunicorn's HTTP parsing or any contention.
It reports, per kind, the wall time and the CPU time of the process per request; with
`--cprofile KIND` it prints the functions that cost the most for that kind.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/todo_bench SECRET_KEY=... \
        python bench/profile_requests.py [--requests 3000] [--cprofile list]

It needs a seeded database (`python bench/run.py` leaves one in todo_bench, or run
`manage.py seed_demo`). Creates and deletes remove what they add: the data is unchanged.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

CREATE_BODY = json.dumps({"title": "Profiled task", "description": "Written by the profiler."})
PUT_BODY = json.dumps({"title": "Profiled task, renamed", "completed": False})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="Per kind (default 3000).")
    parser.add_argument("--rounds", type=int, default=5, help="Rounds per kind (default 5).")
    parser.add_argument("--cprofile", metavar="KIND", help="Print the top functions of KIND.")
    parser.add_argument("--top", type=int, default=30, help="Rows of the cProfile table.")
    parser.add_argument("--sort", default="tottime", help="cProfile order (default tottime).")
    args = parser.parse_args()

    sys.path.insert(0, str(REPO_ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "todo_project.settings")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    from django.db import connection

    from users.tokens import issue_tokens

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT user_id, array_agg(id) FROM tasks_task GROUP BY user_id ORDER BY user_id"
        )
        owners = cursor.fetchall()
    connection.close()
    rng = random.Random(1)  # noqa: S311 - picks sample users and tasks, no secret
    owners = rng.sample(owners, min(500, len(owners)))
    tokens = {user_id: issue_tokens(user_id=user_id).access for user_id, _ in owners}

    def call(method: str, path: str, user_id: str, body: str = "") -> tuple[int, bytes]:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_AUTHORIZATION": f"Bearer {tokens[user_id]}",
            "HTTP_ACCEPT": "application/json",
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body.encode()),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
        }
        statuses = []
        response = application(environ, lambda status, headers: statuses.append(status))
        content = b"".join(response)
        response.close()
        return int(statuses[0].split()[0]), content

    created: list[tuple[str, int]] = []

    def pick() -> tuple[str, int]:
        user_id, task_ids = rng.choice(owners)
        return user_id, rng.choice(task_ids)

    def list_() -> int:
        user_id, _ = rng.choice(owners)
        return call("GET", f"/api/{user_id}/tasks", user_id)[0]

    def get() -> int:
        user_id, task_id = pick()
        return call("GET", f"/api/{user_id}/tasks/{task_id}", user_id)[0]

    def create() -> int:
        user_id, _ = rng.choice(owners)
        status, content = call("POST", f"/api/{user_id}/tasks", user_id, CREATE_BODY)
        created.append((user_id, json.loads(content)["id"]))
        return status

    def put() -> int:
        user_id, task_id = pick()
        return call("PUT", f"/api/{user_id}/tasks/{task_id}", user_id, PUT_BODY)[0]

    def toggle() -> int:
        user_id, task_id = pick()
        return call("PATCH", f"/api/{user_id}/tasks/{task_id}/complete", user_id)[0]

    def delete() -> int:
        user_id, task_id = created.pop()
        return call("DELETE", f"/api/{user_id}/tasks/{task_id}", user_id)[0]

    kinds: dict[str, tuple[Callable[[], int], int]] = {
        "list": (list_, 200),
        "get": (get, 200),
        "create": (create, 201),
        "put": (put, 200),
        "toggle": (toggle, 200),
        "delete": (delete, 204),
    }
    # Warm-up: the first requests build the URL resolver, the connection and the user
    # cache: what is measured is the steady state of known users.
    for user_id, _ in owners:
        call("GET", f"/api/{user_id}/tasks", user_id)
    print(
        f"{args.requests} requests per kind in {args.rounds} rounds, one thread, through"
        " Django's WSGI handler; the best round's time per request (the machine is noisy)"
    )
    print(f"{'kind':<8} {'wall ms':>8} {'CPU ms':>8}")
    for name, (request, expected) in kinds.items():
        for _ in range(20):
            request()
        profiler = cProfile.Profile() if name == args.cprofile else None
        best_wall = best_cpu = float("inf")
        for _ in range(args.rounds):
            count = args.requests // args.rounds
            if name == "delete":
                count = min(count, len(created))
            wall, cpu = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            for _ in range(count):
                status = request()
                if status != expected:
                    raise SystemExit(f"{name}: {status}, expected {expected}")
            if profiler:
                profiler.disable()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            best_wall, best_cpu = min(best_wall, wall / count), min(best_cpu, cpu / count)
        print(f"{name:<8} {best_wall * 1000:8.3f} {best_cpu * 1000:8.3f}", flush=True)
        if profiler:
            stats = pstats.Stats(profiler).sort_stats(args.sort)
            stats.print_stats(args.top)
    while created:  # Tasks made by the create kind, beyond those the deletes took.
        delete()


if __name__ == "__main__":
    main()
