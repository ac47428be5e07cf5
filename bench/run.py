"""Benchmarks the task API as production runs it and writes the figures down.

    python bench/run.py            # the full run, under 10 minutes
    python bench/run.py --quick    # a smaller seed and shorter steps, under 2 minutes

Seeds a dedicated PostgreSQL database, serves it with the Procfile's web command (gunicorn
and the committed gunicorn.conf.py, DEBUG off), drives the request mix from 1000 open
connections with wrk, finds the highest offered rate that meets the SLO and the closed-loop
maximum, replays the same SQL with pgbench for the database's own ceiling, and writes a
Markdown report to bench/results/ and into docs/performance.md. See bench/README.md.
"""

import argparse
import bisect
import itertools
import json
import math
import os
import platform
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
PERFORMANCE_DOC = REPO_ROOT / "docs" / "performance.md"
LATEST_START = "<!-- bench:latest:start -->"
LATEST_END = "<!-- bench:latest:end -->"

CONNECTIONS = 1000
# The share of each kind of request in the mix; wrk runs one process per kind with the same
# share of the connections and of the offered rate.
MIX = {"list": 0.60, "get": 0.15, "create": 0.10, "put": 0.07, "toggle": 0.05, "delete": 0.03}
SLO_P95_MS = 200.0
# A step whose achieved rate falls this far below the offered one is saturated: its
# latencies understate what clients would see.
MIN_ACHIEVED_FRACTION = 0.95
# Latencies above this count as timeouts (wrk drops them from the histogram).
WRK_TIMEOUT_SECONDS = 10
# Latency quantiles kept per kind: every 0.1 %, both ends included.
QUANTILE_POINTS = 1001


@dataclass(frozen=True)
class Profile:
    """How much data and how long each phase runs."""

    users: int
    tasks: int
    warmup_seconds: int
    closed_loop_seconds: int
    step_seconds: int
    search_steps: int
    pgbench_seconds: int


FULL = Profile(
    users=10_000,
    tasks=100_000,
    warmup_seconds=10,
    closed_loop_seconds=30,
    step_seconds=25,
    search_steps=6,
    pgbench_seconds=30,
)
QUICK = Profile(
    users=1_000,
    tasks=10_000,
    warmup_seconds=3,
    closed_loop_seconds=8,
    step_seconds=6,
    search_steps=3,
    pgbench_seconds=6,
)


@dataclass
class KindStats:
    """What one kind of request (or all of them merged) did during one step."""

    requests: int
    seconds: float
    quantiles_us: list[float]
    statuses: dict[str, int]
    socket_errors: dict[str, int]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile_ms(self, percent: float) -> float:
        """The latency at `percent`, from the quantiles at every 0.1 %."""
        if not self.quantiles_us:  # Every request timed out.
            return math.inf
        index = round(percent * (len(self.quantiles_us) - 1) / 100)
        return self.quantiles_us[index] / 1000

    @property
    def failure_counts(self) -> dict[str, int]:
        """Non-2xx answers by status, and socket errors and timeouts by kind."""
        bad_answers = {s: n for s, n in self.statuses.items() if not s.startswith("2")}
        return bad_answers | self.socket_errors

    @property
    def failures(self) -> int:
        """Answers that are not 2xx, plus connect, read, write errors and timeouts."""
        return sum(self.failure_counts.values())


@dataclass
class Step:
    """One load step: the offered rate (None for closed loop) and what came of it."""

    label: str
    offered_rate: float | None
    kinds: dict[str, KindStats]
    peak_pss_mib: float = 0.0
    peak_rss_mib: float = 0.0
    cpu: "CpuSeconds | None" = None

    @property
    def total(self) -> KindStats:
        return merge(list(self.kinds.values()))

    @property
    def meets_slo(self) -> bool:
        total = self.total
        return (
            total.failures == 0
            and all(kind.percentile_ms(95) < SLO_P95_MS for kind in self.kinds.values())
            and (
                self.offered_rate is None
                or total.throughput >= MIN_ACHIEVED_FRACTION * self.offered_rate
            )
        )


@dataclass
class Run:
    """Everything the report needs."""

    profile_name: str
    settings: dict[str, str]
    started_at: datetime
    steps: list[Step] = field(default_factory=list)
    closed_loop: Step | None = None
    capacity: Step | None = None
    after_overload: list[str] = field(default_factory=list)
    database: dict[str, KindStats] = field(default_factory=dict)
    database_clients: int = 0
    shutdown_seconds: float = 0.0


def merge(kinds: list[KindStats]) -> KindStats:
    """The kinds as one stream: counts added, latency quantiles weighted by request count."""
    weighted = sorted(
        (value, kind.requests / len(kind.quantiles_us))
        for kind in kinds
        for value in kind.quantiles_us
    ) or [(math.inf, 1.0)]
    values = [value for value, _ in weighted]
    cumulative = list(itertools.accumulate(weight for _, weight in weighted))
    points = QUANTILE_POINTS
    quantiles = [
        values[
            min(bisect.bisect_left(cumulative, cumulative[-1] * i / (points - 1)), len(values) - 1)
        ]
        for i in range(points)
    ]
    statuses: Counter[str] = Counter()
    socket_errors: Counter[str] = Counter()
    for kind in kinds:
        statuses.update(kind.statuses)
        socket_errors.update(kind.socket_errors)
    return KindStats(
        requests=sum(kind.requests for kind in kinds),
        seconds=max(kind.seconds for kind in kinds),
        quantiles_us=quantiles,
        statuses=dict(statuses),
        socket_errors=dict(socket_errors),
    )


# --- Processes ---------------------------------------------------------------------------


def run(command: list[str], env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    """Runs a command to completion in the repository, failing loudly with its output."""
    result = subprocess.run(  # noqa: S603 - our own commands, no shell
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, **kwargs
    )
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    print("wrk is missing: installing the Debian package")
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=True)  # noqa: S607


def process_tree(root: int) -> list[int]:
    """The pids of `root` and all its descendants."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name is in parentheses and may hold spaces: split after it.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


def gunicorn_pids(root: int) -> list[int]:
    """The gunicorn master and workers under the Procfile's shell."""
    pids = []
    for pid in process_tree(root):
        try:
            if b"gunicorn" in Path(f"/proc/{pid}/cmdline").read_bytes():
                pids.append(pid)
        except OSError:
            continue
    return pids


def memory_kib(pids: list[int]) -> tuple[int, int]:
    """PSS and RSS summed over the processes, from /proc/<pid>/smaps_rollup."""
    pss = rss = 0
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue  # A worker that exited between listing and reading.
        for line in rollup.splitlines():
            name, _, value = line.partition(":")
            if name == "Pss":
                pss += int(value.split()[0])
            elif name == "Rss":
                rss += int(value.split()[0])
    return pss, rss


def cpu_seconds_of(pids: list[int]) -> float:
    """CPU time spent so far by the processes and by their children that have exited.

    From /proc/<pid>/stat: user and system time, plus the same of the children each has
    waited for. PostgreSQL's backends and helpers come and go (Django reconnects after
    CONN_MAX_AGE, autovacuum workers exit); the postmaster waits for each, so its time moves
    into the postmaster's count instead of out of the sum.
    """
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_pids() -> list[int]:
    """PostgreSQL's server processes: the postmaster, its helpers and the backends."""
    pids = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "postgres":
                pids.append(int(comm.parent.name))
        except OSError:
            continue
    return pids


@dataclass(frozen=True)
class CpuSeconds:
    """CPU time spent by each side of a load step: so far, or between two readings.

    wrk's processes are this script's children, counted once they have been waited for.
    """

    server: float
    database: float
    load_generator: float

    @classmethod
    def now(cls, server_root: int) -> "CpuSeconds":
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return cls(
            server=cpu_seconds_of(gunicorn_pids(server_root)),
            database=cpu_seconds_of(postgres_pids()),
            load_generator=children.ru_utime + children.ru_stime,
        )

    def __sub__(self, earlier: "CpuSeconds") -> "CpuSeconds":
        return CpuSeconds(
            server=self.server - earlier.server,
            database=self.database - earlier.database,
            load_generator=self.load_generator - earlier.load_generator,
        )


class MemorySampler(threading.Thread):
    """Samples the server tree's memory twice a second; keeps the peak since the last reset."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peak_pss_kib = self.peak_rss_kib = 0
        self.overall_pss_kib = self.overall_rss_kib = 0
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(0.5):
            pss, rss = memory_kib(gunicorn_pids(self.root))
            self.peak_pss_kib, self.peak_rss_kib = (
                max(self.peak_pss_kib, pss),
                max(self.peak_rss_kib, rss),
            )
            self.overall_pss_kib = max(self.overall_pss_kib, pss)
            self.overall_rss_kib = max(self.overall_rss_kib, rss)

    def take_peak(self) -> tuple[float, float]:
        """The peak PSS and RSS in MiB since the last call."""
        peak = (self.peak_pss_kib / 1024, self.peak_rss_kib / 1024)
        self.peak_pss_kib = self.peak_rss_kib = 0
        return peak

    def stop(self) -> None:
        self._stopped.set()


# --- Database ----------------------------------------------------------------------------


def database_admin_url(database_url: str) -> str:
    """The same server's `postgres` database, from which the benchmark's is recreated."""
    return urlunsplit(urlsplit(database_url)._replace(path="/postgres"))


def recreate_database(database_url: str) -> None:
    name = urlsplit(database_url).path.lstrip("/")
    admin = database_admin_url(database_url)
    for statement in (
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'CREATE DATABASE "{name}"',
    ):
        run(["psql", "--quiet", "--no-psqlrc", admin, "-c", statement], env=dict(os.environ))


def psql_value(database_url: str, query: str) -> str:
    result = run(["psql", "-Atq", "--no-psqlrc", database_url, "-c", query], env=dict(os.environ))
    return result.stdout.strip()


def pgbench_clients(database_url: str) -> int:
    """As many clients as the server has connection slots free, keeping a few spare."""
    free = psql_value(
        database_url,
        "SELECT current_setting('max_connections')::int"
        " - current_setting('superuser_reserved_connections')::int"
        " - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')",
    )
    return max(1, min(CONNECTIONS, int(free) - 5))


def run_pgbench(
    database_url: str, counts: dict[str, int], pool_taken: int, seconds: int, work_dir: Path
) -> tuple[dict[str, KindStats], int]:
    """The same SQL mix as the web run, from as many clients as PostgreSQL allows."""
    clients = pgbench_clients(database_url)
    log_prefix = work_dir / "pgbench"
    variables = {
        "users": counts["users"],
        "owners": counts["owners"],
        "pool_first": min(pool_taken + 1, counts["pool"]),
        "pool_last": counts["pool"],
    }
    command = ["pgbench", "--no-vacuum", "--protocol=extended", f"--client={clients}"]
    command += ["--jobs=2", f"--time={seconds}", "--log", f"--log-prefix={log_prefix}"]
    command += [f"--define={name}={value}" for name, value in variables.items()]
    command += [
        f"--file={BENCH_DIR / 'pgbench' / kind}.sql@{round(share * 100)}"
        for kind, share in MIX.items()
    ]
    run([*command, database_url], env=dict(os.environ))

    # Per-transaction log: client, transaction, latency (us), script number, epoch, us.
    latencies: dict[int, list[int]] = {index: [] for index in range(len(MIX))}
    for log in work_dir.glob("pgbench.*"):
        for line in log.read_text().splitlines():
            fields = line.split()
            latencies[int(fields[3])].append(int(fields[2]))
    stats = {}
    for index, kind in enumerate(MIX):
        values = sorted(latencies[index]) or [0]
        stats[kind] = KindStats(
            requests=len(latencies[index]),
            seconds=seconds,
            quantiles_us=[
                values[round(i * (len(values) - 1) / (QUANTILE_POINTS - 1))]
                for i in range(QUANTILE_POINTS)
            ],
            statuses={"2xx": len(latencies[index])},
            socket_errors={},
        )
    return stats, clients


# --- Server ------------------------------------------------------------------------------


def procfile_web_command() -> str:
    for line in (REPO_ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.removeprefix("web:").strip()
    sys.exit("The Procfile has no web process.")


def start_server(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """The Procfile's web command, as the platform runs it; returns once it answers."""
    with log_path.open("w") as log:
        server = subprocess.Popen(  # noqa: S603 - the Procfile's command, as a platform runs it
            ["sh", "-c", procfile_web_command()],  # noqa: S607
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"The server exited:\n{log_path.read_text()[-3000:]}")
        if http_status(f"{base_url(env)}/health") == 200:
            return server
        time.sleep(0.5)
    os.killpg(server.pid, signal.SIGKILL)
    sys.exit(f"The server did not answer within 60 s:\n{log_path.read_text()[-3000:]}")


def stop_server(server: subprocess.Popen) -> float:
    """Sends SIGTERM to the gunicorn master as the platform would; the seconds it took to exit."""
    started = time.monotonic()
    masters = gunicorn_pids(server.pid)[:1]
    for pid in masters:
        os.kill(pid, signal.SIGTERM)
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    return time.monotonic() - started


def base_url(env: dict[str, str]) -> str:
    return f"http://127.0.0.1:{env['PORT']}"


def http_status(url: str, token: str | None = None) -> int | None:
    request = urllib.request.Request(url)  # noqa: S310 - our own server on 127.0.0.1
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def check_answers_normally(env: dict[str, str], data_dir: Path) -> list[str]:
    """Right after overload: health and a user's list answer 200, and quickly."""
    user_id, token = (data_dir / "users.txt").read_text().split("\n", 1)[0].split()
    findings = []
    for name, url, credential in (
        ("GET /health", f"{base_url(env)}/health", None),
        ("GET /api/{user_id}/tasks", f"{base_url(env)}/api/{user_id}/tasks", token),
    ):
        started = time.monotonic()
        status = http_status(url, credential)
        findings.append(f"{name}: {status} in {(time.monotonic() - started) * 1000:.0f} ms")
    return findings


# --- Load --------------------------------------------------------------------------------


def connections_per_kind() -> dict[str, int]:
    return {kind: round(CONNECTIONS * share) for kind, share in MIX.items()}


def drive(
    env: dict[str, str],
    data_dir: Path,
    *,
    rate: float | None,
    seconds: int,
    seed: int,
    pool_taken: int,
) -> tuple[dict[str, KindStats], int]:
    """One wrk per kind, all at once; their stats, and the pool tasks deletes have taken."""
    processes = {}
    for index, (kind, connections) in enumerate(connections_per_kind().items()):
        kind_rate = 0 if rate is None else rate * MIX[kind]
        command = ["wrk", "--threads=1", f"--connections={connections}"]
        command += [f"--duration={seconds}s", f"--timeout={WRK_TIMEOUT_SECONDS}s"]
        command += [f"--script={BENCH_DIR / 'workload.lua'}", base_url(env), "--"]
        command += [kind, f"{kind_rate:.3f}", str(data_dir), str(data_dir / f"{kind}.json")]
        command += [str(seed * 10 + index), str(pool_taken)]
        processes[kind] = subprocess.Popen(  # noqa: S603 - wrk with our arguments
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
    stats = {}
    for kind, process in processes.items():
        _, stderr = process.communicate()
        if process.returncode != 0:
            sys.exit(f"wrk ({kind}) failed:\n{stderr}")
        result = json.loads((data_dir / f"{kind}.json").read_text())
        stats[kind] = KindStats(
            requests=result["requests"],
            seconds=result["duration_us"] / 1e6,
            quantiles_us=result["latency_quantiles_us"],
            statuses=result["statuses"],
            socket_errors={name: n for name, n in result["errors"].items() if n},
        )
        if kind == "delete":
            pool_taken = result["pool_taken"]
    return stats, pool_taken


def search_rates(low: float, high: float, steps: int) -> Iterator[float]:
    """Bisects [low, high] for the highest passing rate; send() each result back."""
    for _ in range(steps):
        rate = (low + high) / 2
        passed = yield rate
        low, high = (rate, high) if passed else (low, rate)


# --- Report ------------------------------------------------------------------------------


def fixed_rates(rates: list[float]) -> Iterator[float]:
    """The given rates in order, whatever each result (sent back as by search_rates)."""
    for rate in rates:  # noqa: UP028 - `yield from` a list cannot take send()
        yield rate


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "CPUs (nproc)": str(os.cpu_count()),
        "CPU": cpu,
        "memory": f"{memory_kib / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "Python": platform.python_version(),
    }


def ratio(value: float, reference: float) -> str:
    return f"{value / reference:.2f}" if reference else "n/a"


def describe(failures: dict[str, int]) -> str:
    return ", ".join(f"{n} x {name}" for name, n in sorted(failures.items())) or "0"


def cpu_per_request(step: Step) -> str:
    requests = step.total.requests
    if step.cpu is None or not requests:
        return "n/a"
    spent = (step.cpu.server, step.cpu.database, step.cpu.load_generator)
    return " / ".join(f"{seconds * 1000 / requests:.2f}" for seconds in spent)


def kinds_table(step: Step, database: dict[str, KindStats]) -> list[str]:
    rows = [
        "| request | share | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors "
        "| req/s ÷ PG tps | p95 ÷ PG p95 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    kinds = {**step.kinds, "all": step.total}
    database_kinds = {**database, "all": merge(list(database.values()))} if database else {}
    for name, stats in kinds.items():
        share = stats.requests / step.total.requests if step.total.requests else 0
        reference = database_kinds.get(name)
        throughput_ratio = ratio(stats.throughput, reference.throughput) if reference else "n/a"
        p95_ratio = (
            ratio(stats.percentile_ms(95), reference.percentile_ms(95)) if reference else "n/a"
        )
        rows.append(
            f"| {name} | {share:.0%} | {stats.requests} | {stats.throughput:.0f} "
            f"| {stats.percentile_ms(50):.1f} | {stats.percentile_ms(95):.1f} "
            f"| {stats.percentile_ms(99):.1f} | {stats.percentile_ms(100):.0f} "
            f"| {describe(stats.failure_counts)} | {throughput_ratio} | {p95_ratio} |"
        )
    return rows


def report(result: Run) -> str:
    closed, capacity = result.closed_loop, result.capacity
    database_total = merge(list(result.database.values()))
    lines = [
        f"## Benchmark of {result.started_at:%Y-%m-%d %H:%M} UTC ({result.profile_name})",
        "",
        "| | |",
        "| --- | --- |",
        *(f"| {name} | {value} |" for name, value in {**machine(), **result.settings}.items()),
        "",
        "### Headline",
        "",
        "| figure | value | ÷ PostgreSQL alone |",
        "| --- | ---: | ---: |",
    ]
    if capacity:
        lines.append(
            f"| capacity at SLO (p95 < {SLO_P95_MS:.0f} ms for every kind, no errors) "
            f"| {capacity.offered_rate:.0f} req/s "
            f"| {ratio(capacity.offered_rate, database_total.throughput)} |"
        )
    else:
        lines.append("| capacity at SLO | not met at any rate tried | |")
    if closed:
        lines += [
            f"| closed-loop maximum, {CONNECTIONS} connections "
            f"| {closed.total.throughput:.0f} req/s "
            f"| {ratio(closed.total.throughput, database_total.throughput)} |",
            f"| closed-loop p95 / p99 | {closed.total.percentile_ms(95):.0f} / "
            f"{closed.total.percentile_ms(99):.0f} ms "
            f"| {ratio(closed.total.percentile_ms(95), database_total.percentile_ms(95))} |",
            "| closed-loop failures (non-2xx, socket errors, timeouts) "
            f"| {describe(closed.total.failure_counts)} | |",
        ]
    peak_pss = max(step.peak_pss_mib for step in result.steps)
    peak_rss = max(step.peak_rss_mib for step in result.steps)
    lines += [
        f"| PostgreSQL alone: pgbench, {result.database_clients} clients, same SQL mix "
        f"| {database_total.throughput:.0f} tps | 1.00 |",
        f"| peak memory of the server tree (PSS / RSS) | {peak_pss:.0f} / {peak_rss:.0f} MiB | |",
        f"| graceful shutdown on SIGTERM | {result.shutdown_seconds:.1f} s | |",
        "",
        f"Right after the closed-loop run: {'; '.join(result.after_overload)}.",
        "",
        "### Steps",
        "",
        "| step | offered req/s | achieved req/s | p50 ms | p95 ms | p99 ms | failures "
        "| peak PSS / RSS MiB | CPU ms per request: server / PostgreSQL / wrk | SLO |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for step in result.steps:
        total = step.total
        offered = "closed loop" if step.offered_rate is None else f"{step.offered_rate:.0f}"
        lines.append(
            f"| {step.label} | {offered} | {total.throughput:.0f} | {total.percentile_ms(50):.1f} "
            f"| {total.percentile_ms(95):.1f} | {total.percentile_ms(99):.1f} "
            f"| {describe(total.failure_counts)} "
            f"| {step.peak_pss_mib:.0f} / {step.peak_rss_mib:.0f} | {cpu_per_request(step)} "
            f"| {'pass' if step.meets_slo else 'fail'} |"
        )
    if capacity:
        lines += ["", f"### At capacity ({capacity.offered_rate:.0f} req/s offered)", ""]
        lines += kinds_table(capacity, result.database)
    if closed:
        lines += ["", f"### Closed loop ({CONNECTIONS} connections, no think time)", ""]
        lines += kinds_table(closed, result.database)
    lines += [
        "",
        f"### PostgreSQL alone (pgbench, {result.database_clients} clients, 2 threads)",
        "",
        "| request | transactions | tps | p50 ms | p95 ms | p99 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, stats in {**result.database, "all": database_total}.items():
        lines.append(
            f"| {name} | {stats.requests} | {stats.throughput:.0f} | {stats.percentile_ms(50):.2f} "
            f"| {stats.percentile_ms(95):.2f} | {stats.percentile_ms(99):.2f} |"
        )
    return "\n".join(lines) + "\n"


def publish(markdown: str, started_at: datetime) -> Path:
    """Writes the report under bench/results/ and as the latest figures in docs/performance.md."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{started_at:%Y-%m-%dT%H%M%SZ}.md"
    path.write_text(markdown)
    document = PERFORMANCE_DOC.read_text()
    before, _, rest = document.partition(LATEST_START)
    _, _, after = rest.partition(LATEST_END)
    latest = markdown.replace("## Benchmark of", "### Benchmark of").replace("\n### ", "\n#### ")
    PERFORMANCE_DOC.write_text(f"{before}{LATEST_START}\n{latest}{LATEST_END}{after}")
    return path


# --- Main --------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="A smoke run, under 2 minutes.")
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/todo_bench",
        help="The dedicated database: dropped and recreated (default: %(default)s).",
    )
    parser.add_argument(
        "--port", type=int, default=18700, help="Port to serve on (default: %(default)s)."
    )
    parser.add_argument(
        "--skip-seed",
        action="store_true",
        help="Reuse the data of the previous run (tuning runs): no drop, migrate or seed.",
    )
    parser.add_argument(
        "--tasks", type=int, help="Tasks to seed instead of the profile's (the scale check)."
    )
    parser.add_argument(
        "--heavy-user-tasks",
        type=int,
        default=0,
        metavar="K",
        help="Seed one more user with K tasks (seed_demo's option).",
    )
    parser.add_argument("--workers", help="WEB_CONCURRENCY for this run (tuning).")
    parser.add_argument("--threads", help="GUNICORN_THREADS for this run (tuning).")
    parser.add_argument(
        "--rates",
        help="Comma-separated offered rates to measure instead of searching (tuning runs).",
    )
    parser.add_argument("--no-publish", action="store_true", help="Print the report only.")
    args = parser.parse_args()
    profile = QUICK if args.quick else FULL
    if args.tasks:
        profile = replace(profile, tasks=args.tasks)
    started_at = datetime.now(UTC)

    ensure_wrk()
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "PORT": str(args.port),
        # The committed config binds every interface, as platforms need; here only loopback.
        "GUNICORN_CMD_ARGS": f"--bind=127.0.0.1:{args.port}",
        # The Procfile calls `python` and `gunicorn`: this interpreter's.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    for name, value in (("WEB_CONCURRENCY", args.workers), ("GUNICORN_THREADS", args.threads)):
        if value:
            env[name] = value
    python = sys.executable
    work_dir = Path(tempfile.mkdtemp(prefix="todo-bench-"))
    try:
        if not args.skip_seed:
            print(f"Seeding {profile.users} users and {profile.tasks} tasks")
            recreate_database(args.database_url)
            run([python, "manage.py", "migrate", "--noinput", "--verbosity=0"], env=env)
            seed = ["seed_demo", f"--users={profile.users}", f"--tasks={profile.tasks}"]
            seed.append(f"--heavy-user-tasks={args.heavy_user_tasks}")
            run([python, "manage.py", *seed, "--seed=1", "--force"], env=env)
            # A live table has current statistics and visibility map; a bulk-loaded one only
            # once autovacuum comes by, which at a million rows can be into the first steps.
            psql_value(args.database_url, "VACUUM ANALYZE")
        print("Minting tokens and splitting the tasks")
        export = run([python, str(BENCH_DIR / "export_workload.py"), str(work_dir)], env=env)
        counts = json.loads(export.stdout.strip().splitlines()[-1])

        server = start_server(env, work_dir / "server.log")
        sampler = MemorySampler(server.pid)
        sampler.start()
        result = Run(
            profile_name="quick" if args.quick else "full",
            settings=server_settings(env, counts),
            started_at=started_at,
        )
        pool_taken, step_number = 0, 0

        def load_step(label: str, rate: float | None, seconds: int) -> Step:
            nonlocal pool_taken, step_number
            step_number += 1
            offered = "closed loop" if rate is None else f"{rate:.0f} req/s"
            print(f"  {label}: {offered} for {seconds} s", flush=True)
            sampler.take_peak()
            cpu_before = CpuSeconds.now(server.pid)
            kinds, pool_taken = drive(
                env, work_dir, rate=rate, seconds=seconds, seed=step_number, pool_taken=pool_taken
            )
            step = Step(label, rate, kinds, cpu=CpuSeconds.now(server.pid) - cpu_before)
            step.peak_pss_mib, step.peak_rss_mib = sampler.take_peak()
            total = step.total
            print(
                f"    {total.throughput:.0f} req/s, p95 {total.percentile_ms(95):.0f} ms,"
                f" failures {describe(total.failure_counts)},"
                f" CPU ms per request (server / PostgreSQL / wrk) {cpu_per_request(step)}:"
                f" {'pass' if step.meets_slo else 'fail'}"
            )
            time.sleep(2)  # Let queues drain, so one step does not leak into the next.
            return step

        try:
            load_step("warm-up", None, profile.warmup_seconds)
            result.closed_loop = load_step("closed loop", None, profile.closed_loop_seconds)
            result.steps.append(result.closed_loop)
            result.after_overload = check_answers_normally(env, work_dir)
            maximum = result.closed_loop.total.throughput
            if args.rates:
                rates = fixed_rates([float(rate) for rate in args.rates.split(",")])
            else:
                rates = search_rates(0, maximum, profile.search_steps)
            rate = next(rates)
            while True:
                step = load_step("SLO search", rate, profile.step_seconds)
                result.steps.append(step)
                if step.meets_slo and (
                    result.capacity is None or rate > (result.capacity.offered_rate or 0)
                ):
                    result.capacity = step
                try:
                    rate = rates.send(step.meets_slo)
                except StopIteration:
                    break
        finally:
            sampler.stop()
            result.shutdown_seconds = stop_server(server)

        print(f"PostgreSQL alone: pgbench for {profile.pgbench_seconds} s")
        result.database, result.database_clients = run_pgbench(
            args.database_url, counts, pool_taken, profile.pgbench_seconds, work_dir
        )
        markdown = report(result)
        print(markdown)
        if not args.no_publish:
            print(f"Written to {publish(markdown, started_at).relative_to(REPO_ROOT)}")
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


def server_settings(env: dict[str, str], counts: dict[str, int]) -> dict[str, str]:
    """What was measured: the data, and the gunicorn settings as gunicorn resolves them."""
    printed = run(
        ["gunicorn", "--config", "gunicorn.conf.py", "--print-config", "todo_project.wsgi"],
        env=env,
    ).stdout
    resolved = {
        name.strip(): value.strip()
        for name, _, value in (line.partition("=") for line in printed.splitlines())
    }
    gunicorn = ", ".join(
        f"{name} {resolved[name]}"
        for name in ("worker_class", "workers", "threads", "keepalive", "max_requests")
        if name in resolved
    )
    return {
        "PostgreSQL": psql_value(env["DATABASE_URL"], "SHOW server_version"),
        "data": f"{counts['users']} users and {counts['tasks']} tasks at the start;"
        f" {counts['owners']} users own the tasks that get, put and"
        f" toggle address; {counts['pool']} tasks set aside for deletes",
        "gunicorn": gunicorn,
        "load": f"wrk, {CONNECTIONS} connections, one process per kind: "
        + ", ".join(f"{kind} {n}" for kind, n in connections_per_kind().items()),
    }


if __name__ == "__main__":
    main()
