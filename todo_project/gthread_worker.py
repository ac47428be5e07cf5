"""gunicorn's gthread worker, with new connections waiting in the poller, not in a thread.

gthread hands each new connection straight to a thread, which waits for the request's first
bytes (up to `gunicorn.workers.gthread.DEFAULT_WORKER_DATA_TIMEOUT`, 5 s, no setting) before
giving the connection back to the poller. Clients open connections ahead of their requests
(keep-alive pools, browsers, the benchmark's 1000 connections), so every thread sat on a
silent socket while requests queued: at 43 req/s offered the p95 was 9 s with timeouts
(docs/performance.md). Here a new connection goes to the poller at once, by gthread's own
path for a connection whose first bytes are late, and reaches a thread when its request
has arrived.
"""

from concurrent.futures import Future

from gunicorn.workers import gthread


class ThreadWorker(gthread.ThreadWorker):
    def enqueue_req(self, conn: gthread.TConn) -> None:
        # Kept-alive connections are initialized, and deferred ones marked ready when their
        # bytes arrive: what is neither was accepted just now and has sent nothing yet.
        if conn.initialized or conn.data_ready:
            super().enqueue_req(conn)
            return
        deferred: Future = Future()
        deferred.set_result(gthread._DEFER)
        self.finish_request(conn, deferred)
