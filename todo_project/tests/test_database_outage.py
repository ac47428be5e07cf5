"""The service under gunicorn, against a PostgreSQL of the test's own: its database goes
away and comes back, a SIGTERM lets requests in flight finish, and connections that send
nothing hold no thread.

A throwaway cluster (initdb + pg_ctl on a free port) is stopped and started for real while
the service keeps running: no mocks, no restart of the service.
"""

import contextlib
import glob
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

REPO = Path(__file__).resolve().parents[2]


def postgres_bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if found := shutil.which("initdb"):
        candidates.insert(0, found)
    return Path(candidates[0]).resolve().parent if candidates else None


BINDIR = postgres_bindir()
pytestmark = pytest.mark.skipif(BINDIR is None, reason="PostgreSQL's server binaries are missing")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Cluster:
    """A PostgreSQL cluster of this test's own, run as the postgres user when we are root."""

    data_dir: Path
    port: int

    def run(self, *args: str) -> None:
        command = [str(BINDIR / args[0]), *args[1:]]
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root.
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data_dir} -c listen_addresses=127.0.0.1"
        log = self.data_dir / "server.log"
        self.run("pg_ctl", "-D", str(self.data_dir), "-o", options, "-l", str(log), "-w", "start")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    # Not pytest's tmp_path: as root, that folder is closed to the postgres user.
    data_dir = Path(tempfile.mkdtemp(prefix="todo-outage-"))
    if os.geteuid() == 0:
        shutil.chown(data_dir, "postgres")
    cluster = Cluster(data_dir=data_dir, port=free_port())
    cluster.run("initdb", "-D", str(data_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    cluster.start()
    yield cluster
    with contextlib.suppress(subprocess.CalledProcessError):  # Already stopped by the test.
        cluster.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


@dataclass
class Service:
    base_url: str
    process: subprocess.Popen

    def request(
        self, method: str, path: str, *, token: str | None = None, body: dict | None = None
    ) -> tuple[int, dict[str, str], object, float]:
        """Status, headers, JSON body and seconds taken of one request."""
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base_url + path, data=data, method=method, headers=headers
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, headers_, raw = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            status, headers_, raw = error.code, dict(error.headers), error.read()
        return status, headers_, json.loads(raw) if raw else None, time.monotonic() - started


@pytest.fixture
def service(cluster: Cluster) -> Iterator[Service]:
    env = {
        **os.environ,
        "DATABASE_URL": cluster.url,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_CONNECT_TIMEOUT": "2",
    }
    manage = [sys.executable, str(REPO / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=REPO, timeout=120)
    port = free_port()
    server = subprocess.Popen(
        [
            *[sys.executable, "-m", "gunicorn"],
            *["--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"],
            *["--workers", "1", "--threads", "2", "todo_project.wsgi"],
        ],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    service = Service(base_url=f"http://127.0.0.1:{port}", process=server)
    deadline = time.monotonic() + 30
    while True:
        try:
            if service.request("GET", "/health")[0] == 200:
                break
        except OSError:
            if time.monotonic() > deadline:
                server.kill()
                raise
            time.sleep(0.2)
    yield service
    if server.poll() is None:
        server.terminate()
        server.wait(timeout=30)


def signed_up_with_a_task(service: Service, *, title: str) -> tuple[str, dict]:
    """A new user's access token and a task of theirs, made over HTTP."""
    status, _, registered, _ = service.request(
        "POST",
        "/api/auth/register",
        body={"email": "someone@example.com", "password": "a-long-enough-passphrase"},
    )
    assert status == 201
    token, user_id = registered["access"], registered["user"]["id"]
    status, _, task, _ = service.request(
        "POST", f"/api/{user_id}/tasks", token=token, body={"title": title}
    )
    assert status == 201
    return token, task


def test_requests_answer_503_while_the_database_is_down_and_succeed_once_it_is_back(
    cluster: Cluster, service: Service
):
    token, task = signed_up_with_a_task(service, title="Kept")
    tasks_path = f"/api/{task['user_id']}/tasks"

    cluster.stop()

    status, headers, body, seconds = service.request("GET", "/ready")
    assert (status, body["status"]) == (503, "unavailable")
    assert seconds < 5
    for method, path, payload in [
        ("GET", tasks_path, None),
        ("POST", tasks_path, {"title": "Lost?"}),
        ("PATCH", f"{tasks_path}/{task['id']}/complete", None),
    ]:
        status, headers, body, seconds = service.request(method, path, token=token, body=payload)
        assert status == 503, (method, path, body)
        assert headers["Content-Type"] == "application/problem+json"
        assert body["status"] == 503
        assert int(headers["Retry-After"]) > 0
        assert seconds < 5

    cluster.start()

    status, _, _, _ = service.request("GET", "/ready")
    assert status == 200
    status, _, tasks, _ = service.request("GET", tasks_path, token=token)
    assert status == 200
    assert [t["title"] for t in tasks] == ["Kept"]


def test_sigterm_lets_a_request_in_flight_finish_before_gunicorn_exits(
    cluster: Cluster, service: Service
):
    token, task = signed_up_with_a_task(service, title="In flight")
    toggle = f"/api/{task['user_id']}/tasks/{task['id']}/complete"

    # Another session holds the task's row, so the toggle waits in the database.
    with psycopg.connect(cluster.url) as lock:
        lock.execute("SELECT 1 FROM tasks_task WHERE id = %s FOR UPDATE", [task["id"]])
        with ThreadPoolExecutor(max_workers=1) as pool:
            in_flight = pool.submit(service.request, "PATCH", toggle, token=token)
            time.sleep(0.5)
            service.process.send_signal(signal.SIGTERM)  # As a platform does on a deploy.
            time.sleep(0.5)
            assert service.process.poll() is None  # Still finishing the request.
            lock.rollback()
            status, _, body, _ = in_flight.result(timeout=30)

    assert (status, body["completed"]) == (200, True)
    assert service.process.wait(timeout=30) == 0


def test_connections_that_send_nothing_do_not_hold_the_threads(service: Service):
    # More silent connections than the worker has threads (the fixture runs 1 x 2). Stock
    # gthread gives each a thread that waits up to 5 s for its first bytes.
    host, port = service.base_url.removeprefix("http://").split(":")
    silent = [socket.create_connection((host, int(port))) for _ in range(4)]
    try:
        time.sleep(0.2)  # Accepted by now.
        status, _, _, seconds = service.request("GET", "/health")
    finally:
        for connection in silent:
            connection.close()

    assert status == 200
    assert seconds < 1
