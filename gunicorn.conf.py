"""gunicorn configuration for production (the Procfile's web process).

The worker layout was chosen by measurement (bench/run.py; figures and method in
docs/performance.md). https://docs.gunicorn.org/en/stable/settings.html
"""

import os

from gunicorn.workers import gthread

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"

# --- Workers ------------------------------------------------------------------------------
# gthread: a request spends much of its time waiting on PostgreSQL, and threads overlap
# those waits at a fraction of a process's memory. Measured on 2 CPUs shared with
# PostgreSQL: see docs/performance.md ("Choosing the worker layout"). Every thread holds
# one database connection, so workers x threads must stay under the server's limit.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# Open connections one worker keeps; idle keep-alive ones count too.
worker_connections = 1000

# gthread hands each new connection to a thread that waits up to 5 s for its first bytes
# (gunicorn.workers.gthread.DEFAULT_WORKER_DATA_TIMEOUT, which has no setting). Clients
# that connect ahead of their first request (keep-alive pools, browsers, the benchmark's
# 1000 connections) then hold every thread while requests queue behind them: at 43 req/s
# offered the p95 was 9 s with timeouts (docs/performance.md). After 10 ms a silent
# connection goes back to the worker's poller, like an idle keep-alive one. Not 0: the same
# constant bounds the drain of an unread body, and 0 would close every keep-alive connection.
gthread.DEFAULT_WORKER_DATA_TIMEOUT = 0.01

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
