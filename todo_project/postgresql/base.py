"""Django's PostgreSQL backend, with the connection health check only where it can matter.

CONN_HEALTH_CHECKS sends `SELECT 1` before the first query of every request: a round trip
and a statement for the server on each request, which under load doubled the statements
of a read. A connection dies while it sits idle (Neon suspends its compute after minutes
without queries; proxies close quiet connections), not between two requests a few
seconds apart, so only a connection idle for longer than HEALTH_CHECK_AFTER_IDLE_SECONDS
is checked. A connection that breaks anyway fails that one request with a 503, and Django
closes it at the request's end, as it does for any error on the connection.
"""

import time
from datetime import UTC

import psycopg
from django.db.backends.postgresql import base
from psycopg.postgres import types
from psycopg.pq import Format

TIMESTAMPTZ_OID = types["timestamptz"].oid
# psycopg's default: compiled with psycopg[binary] (or psycopg[c]).
COMPILED_TIMESTAMPTZ_LOADER = psycopg.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)

# Well under any idle timeout that closes connections: Neon's suspension takes minutes.
HEALTH_CHECK_AFTER_IDLE_SECONDS = 10.0


class DatabaseWrapper(base.DatabaseWrapper):
    last_used_at = 0.0

    def connect(self) -> None:
        super().connect()
        self.last_used_at = time.monotonic()

    def close_if_health_check_failed(self) -> None:
        # Called before the first query of each request, and a no-op after it.
        if self.connection is None or self.health_check_done:
            return
        now = time.monotonic()
        if now - self.last_used_at < HEALTH_CHECK_AFTER_IDLE_SECONDS:
            self.health_check_done = True
        else:
            super().close_if_health_check_failed()
        self.last_used_at = now

    def create_cursor(self, name=None):
        cursor = super().create_cursor(name)
        if self.timezone is UTC:
            # Django's loader of timestamptz is psycopg's pure-Python one with the zone
            # replaced; with the session in UTC, psycopg's compiled loader returns the
            # same datetimes (aware, in datetime.UTC) at a fraction of the cost.
            cursor.adapters.register_loader(TIMESTAMPTZ_OID, COMPILED_TIMESTAMPTZ_LOADER)
        return cursor
