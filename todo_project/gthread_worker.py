"""gunicorn's gthread worker, with new connections waiting in the poller, not in a thread.

gthread hands each new connection straight to a thread, which waits for the request's first
bytes (up to `gunicorn.workers.gthread.DEFAULT_WORKER_DATA_TIMEOUT`, 5 s, no setting) before
giving the connection back to the poller. Clients open connections ahead of their requests
(keep-alive pools, browsers, the benchmark's 1000 connections), so every thread sat on a
silent socket while requests queued: at 43 req/s offered the p95 was 9 s with timeouts
(docs/performance.md). Here a new connection goes to the poller at once, as gthread does with
a kept-alive one, and reaches a thread when its request has arrived.
"""

import errno
import selectors
import time
from functools import partial
from socket import socket

from gunicorn.workers import gthread


class ThreadWorker(gthread.ThreadWorker):
    def accept(self, listener: socket) -> None:
        try:
            client_sock, client_addr = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        # The same steps as gthread's own for a connection whose first bytes are late.
        conn = gthread.TConn(self.cfg, client_sock, client_addr, listener.getsockname())
        conn.timeout = time.monotonic() + self.cfg.keepalive
        self.pending_conns.append(conn)
        self.poller.register(
            client_sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn)
        )
