"""Django's PostgreSQL backend, except for how a kept connection is checked before a request
uses it.

With ``CONN_HEALTH_CHECKS`` (kept: without it, the first page after a database restart fails
with a 500), Django checks a connection kept from an earlier request by sending ``SELECT 1``
and waiting for the answer: a round trip before every page, a quarter of the signed-in empty
page's time on PostgreSQL (four round trips: this check, the session, the person, the page).

A connection that is idle between requests has nothing to read. When the server goes away
(restart, ``pg_terminate_backend``, an idle timeout, the backend process killed) it sends its
last words and closes, and the socket becomes readable. So: an idle socket with nothing to read
is taken as alive at no cost; anything else (something to read, a hang-up, an open
transaction, a socket that cannot be polled) gets Django's own ``SELECT 1`` check. A link that
dies silently (no packet at all) is missed by both checks alike: ``SELECT 1`` would wait on it
as the page's own query does.

It also keeps which statements this connection has prepared (``prepared_statements``, see
lib.database.execute_prepared): a new connection starts with none.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLDatabaseWrapper
from psycopg import pq


class DatabaseWrapper(PostgreSQLDatabaseWrapper):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.prepared_statements: set[str] = set()

    def get_new_connection(self, conn_params):
        self.prepared_statements = set()  # a new server session: nothing prepared in it yet
        return super().get_new_connection(conn_params)

    def is_usable(self) -> bool:
        if self.connection is not None and self._idle_and_quiet():
            return True
        return super().is_usable()

    def _idle_and_quiet(self) -> bool:
        """True when the connection is open, outside a transaction, and its socket has nothing
        to read (no message, no hang-up) right now."""
        connection = self.connection
        try:
            if connection.closed or connection.broken:
                return False
            if connection.info.transaction_status != pq.TransactionStatus.IDLE:
                return False
            poller = select.poll()
            poller.register(connection.pgconn.socket, select.POLLIN | select.POLLPRI)
            return not poller.poll(0)
        except Exception:  # noqa: BLE001 - cannot tell: let the full check decide
            return False
