"""gunicorn configuration for production (the Procfile's web process).

The worker layout was chosen by measurement (bench/run.py; figures and method in
docs/performance.md). https://docs.gunicorn.org/en/stable/settings.html
"""

import gc
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"

# --- Workers ------------------------------------------------------------------------------
# One request at a time per process, and processes for concurrency: measured on 2 CPUs
# shared with PostgreSQL and the load generator (docs/performance.md, "Choosing the worker
# layout"), threads cost more than the database waits they overlap. Two busy threads in one
# process hand the GIL back and forth at every query: 1 worker x 8 threads spent 3.6 ms of
# CPU per list request where 1 x 1 spent 2.3 ms. With 1000 connections, at 350 req/s
# offered: 3 x 1 p95 65 ms, 2 x 1 158 ms, 2 x 2 503 ms; closed loop 485, 550, 455 req/s.
# The gthread worker (todo_project/gthread_worker.py) still holds the idle keep-alive
# connections in its poller; a thread takes one only when its request has arrived.
worker_class = "todo_project.gthread_worker.ThreadWorker"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# Open connections one worker keeps; idle keep-alive ones count too.
worker_connections = 1000
# Each worker listens on its own socket (SO_REUSEPORT) and the kernel spreads new connections
# over them evenly. On one shared socket, whichever worker woke first took them: 1000
# connections split 472 / 301 / 227, the busiest worker saturated at about 0.7 of the
# closed-loop maximum, and 906 req/s offered failed with p95 1040 ms; split 350 / 345 / 305,
# 900 req/s passes with p95 137 ms (docs/performance.md). Connections still queued on a
# worker that exits are reset; workers exit only on shutdown (max_requests is off). Two
# servers started on one port by the same user would share it instead of the second failing.
reuse_port = True
# Django and the libraries load once in the master and the workers share those pages:
# each worker adds only what it writes. Nothing connects at import, so nothing is shared
# that must not be (database and Redis connections open in each worker on first use).
preload_app = True

# --- Time limits --------------------------------------------------------------------------
# A request still running after this is stuck (no query takes seconds): the worker is
# killed and replaced rather than left holding its connections.
timeout = 30
# On SIGTERM (a deploy, a scale-down) workers stop accepting and finish the requests in
# flight; platforms send SIGKILL about 30 s after SIGTERM, so this stays below that.
graceful_timeout = 25
# Longer than the idle timeout of the load balancer in front (60 s on most platforms): the
# proxy, not the service, closes idle connections, so a request never races a close.
# Idle connections cost a few KiB each, and the benchmark holds 1000 of them open.
keepalive = 75

# --- Request limits -----------------------------------------------------------------------
# The API's request lines and headers are short; these bound what a client can make a
# worker read before Django sees the request. The largest header is Authorization: room
# for a token of users.tokens.MAX_TOKEN_LENGTH (8 KiB) plus the header's name.
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8192 + 64

# --- Logging ------------------------------------------------------------------------------
# Errors go to stderr; todo_project.request_log writes one line per request instead of an
# access log.
accesslog = None


def pre_fork(server, worker) -> None:
    # The preloaded objects move out of the garbage collector's reach: its passes would
    # otherwise write to every one of them and copy each shared page into each worker.
    gc.freeze()
