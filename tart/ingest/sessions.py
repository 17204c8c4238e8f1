"""Sessions (one per TCP connection) and nodes (one per peer id) in PostgreSQL.

These writes are rare (connect, handshake, close) and each needs its answer at once, so the
connection greenlets make them directly through a small pool instead of via the writer queue.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import gevent
import orjson
import psycopg2.extensions
from gevent.queue import LifoQueue

from tart.db.connect import first_line
from tart.db.errors import is_row_error
from tart.db.literals import array, number, rows
from tart.protocol import NodeInformation
from tart.supervision import Backoff

if TYPE_CHECKING:
    from psycopg2.extensions import cursor as Cursor

    from tart.ingest.connection import Session
    from tart.ingest.stats import IngestStats

T = TypeVar("T")

log = logging.getLogger(__name__)

RETRY_FIRST = 0.2
RETRY_LONGEST = 5.0
# Every waiting greenlet would log each attempt; one line this often says it all.
WARN_EVERY = 5.0


class ConnectionPool:
    """A few psycopg2 connections shared by greenlets; a broken one is replaced on next use.

    Work is tried until the database lets it through: an error of the database's state (no
    connection, a restart, read-only) is waited out with a growing pause, since what the work
    records — a session, a node, counters — must not be lost to an outage. An error about the
    statement's own rows is raised at once. Once shutting down (give_up_at), no work waits for
    the database beyond the shutdown's deadline.
    """

    def __init__(
        self, connect: Callable[[], psycopg2.extensions.connection], size: int, stats: IngestStats
    ):
        self._connect = connect
        self._idle = LifoQueue()
        for _ in range(size):
            self._idle.put(None)
        self._stats = stats
        self._warned = 0.0
        # A time.monotonic() after which work that gives no `until` of its own stops waiting.
        self.give_up_at: float | None = None

    def run(self, work: Callable[[Cursor], T], until: float | None = None) -> T:
        """``work(cursor)`` in one transaction; returns what it returns. ``until``: a
        time.monotonic() after which to stop waiting for the database and raise."""

        def once(conn):
            with conn, conn.cursor() as cur:
                return work(cur)

        return self._retried(once, until)

    def run_at_once(self, sql: str) -> None:
        """Run ``sql`` (statements of literals, ``;``-separated) as one transaction in one round
        trip."""

        def once(conn):
            conn.autocommit = True  # PostgreSQL makes the statements one implicit transaction
            try:
                with conn.cursor() as cur:
                    cur.execute(sql)
            finally:
                conn.autocommit = False

        self._retried(once, None)

    def _retried(self, once, until):
        backoff = Backoff(RETRY_FIRST, RETRY_LONGEST)
        while True:
            try:
                return self._with_connection(once)
            except _Dropped:
                continue  # says nothing of the database now: the next try takes a new one
            except Exception as error:
                if is_row_error(error):
                    raise
                pause = backoff.failed()
                now = time.monotonic()
                # Read on every failure: work waiting since before the shutdown stops too.
                limit = until if until is not None else self.give_up_at
                if limit is not None:
                    if now >= limit:
                        raise
                    pause = min(pause, limit - now)
                if now - self._warned > WARN_EVERY:
                    self._warned = now
                    log.warning("database unavailable, waiting for it: %s", first_line(error))
                gevent.sleep(pause)

    def _with_connection(self, once):
        conn = self._idle.get()
        pooled = conn is not None and not conn.closed
        try:
            if not pooled:
                conn = self._connect()
                self._stats.database_pool_connections += 1
            return once(conn)
        except psycopg2.extensions.TransactionRollbackError:
            raise  # rolled back; the connection is fine
        except Exception as error:
            dropped = pooled and conn.closed  # psycopg2 marks a connection the server ended
            if conn is not None and not conn.closed:
                conn.close()
            if conn is not None:
                self._stats.database_pool_connections -= 1
            conn = None
            if dropped:
                raise _Dropped from error
            raise
        finally:
            self._idle.put(conn)


class _Dropped(Exception):
    """A pooled connection that the server had ended (a restart since it was last used)."""


class SessionStore:
    def __init__(self, pool: ConnectionPool, process_id: str):
        self._pool = pool
        self._process_id = process_id

    def open(self, remote_address: str, accepted: float) -> int:
        """A new session for a connection (accepted at Unix time ``accepted``) whose node is
        not known yet; returns its id."""
        return self._pool.run(
            lambda cur: _fetch_one(
                cur,
                "INSERT INTO sessions (remote_address, opened_at, ingest_process)"
                " VALUES (%s, to_timestamp(%s), %s) RETURNING id",
                (remote_address, accepted, self._process_id),
            )
        )

    def update_counters(self, sessions: list[Session]) -> None:
        """Write the received and rate-limited counts of open sessions that changed."""
        changed = sorted(
            (s.id, s.received, s.rate_limited)
            for s in sessions
            if s.id is not None and (s.received, s.rate_limited) != s.reported
        )
        if not changed:
            return
        # One round trip, so the rows stay locked only while PostgreSQL updates them: the
        # writer's counter updates wait for these locks.
        self._pool.run_at_once(
            f"SELECT FROM sessions WHERE id = ANY({array((row[0] for row in changed), 'bigint')})"
            " ORDER BY id FOR UPDATE;"
            " UPDATE sessions AS s SET events_received = v.received,"
            " events_rate_limited = v.rate_limited"
            f" FROM (VALUES {rows(map(number, row) for row in changed)})"
            " AS v (id, received, rate_limited) WHERE s.id = v.id"
        )
        for session in sessions:
            session.reported = (session.received, session.rate_limited)

    def close_orphans(self, silence_seconds: float) -> int:
        """Close sessions of ingest processes that died; returns how many."""
        return self._pool.run(
            lambda cur: _fetch_one(
                cur,
                "SELECT tart_close_orphaned_sessions(make_interval(secs => %s))",
                (silence_seconds,),
            )
        )

    def identify(self, session_id: int, info: NodeInformation) -> str:
        """Record the node information of a session's node; the node counts as connected."""
        fields = info.fields
        node_id = fields["peer_id"][2:]

        def work(cur):
            # Sessions before nodes, as every transaction here and in the writer locks them.
            cur.execute("SELECT FROM sessions WHERE id = %s FOR UPDATE", (session_id,))
            cur.execute(
                "INSERT INTO known_nodes AS n (node_id, implementation_name,"
                " implementation_version, gp_version, note, flags, genesis, params, peer_address,"
                " protocol_version, connected_at, last_seen_at, active_sessions)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now(), now(), 1)"
                " ON CONFLICT (node_id) DO UPDATE SET"
                " implementation_name = EXCLUDED.implementation_name,"
                " implementation_version = EXCLUDED.implementation_version,"
                " gp_version = EXCLUDED.gp_version, note = EXCLUDED.note,"
                " flags = EXCLUDED.flags, genesis = EXCLUDED.genesis, params = EXCLUDED.params,"
                " peer_address = EXCLUDED.peer_address,"
                " protocol_version = EXCLUDED.protocol_version,"
                " connected_at = now(), last_seen_at = now(), disconnected_at = NULL,"
                " active_sessions = n.active_sessions + 1",
                (
                    node_id,
                    fields["implementation_name"],
                    fields["implementation_version"],
                    fields["gp_version"],
                    fields["note"],
                    fields["flags"],
                    fields["genesis"],
                    _json(dict(fields["params"], layout=info.params_layout)),
                    _json(fields["peer_address"]),
                    fields["protocol_version"],
                ),
            )
            # The session keeps what its node said on it (the node's row keeps the latest).
            cur.execute(
                "UPDATE sessions SET node_id = %s, protocol_version = %s,"
                " implementation_name = %s, implementation_version = %s, last_seen_at = now()"
                " WHERE id = %s",
                (
                    node_id,
                    fields["protocol_version"],
                    fields["implementation_name"],
                    fields["implementation_version"],
                    session_id,
                ),
            )

        self._pool.run(work)
        return node_id

    def close(self, session: Session, reason: str) -> None:
        """Mark a session closed with its final counters; its node may now be disconnected.

        (events_stored and events_undecodable are the writer's: it adds what it commits.)"""

        def work(cur):
            cur.execute(
                "UPDATE sessions SET closed_at = now(), close_reason = %s, events_received = %s,"
                " events_rate_limited = %s WHERE id = %s",
                (reason, session.received, session.rate_limited, session.id),
            )
            if session.node_id is not None:
                cur.execute(
                    "UPDATE known_nodes SET active_sessions = greatest(active_sessions - 1, 0),"
                    " disconnected_at = CASE WHEN active_sessions <= 1 THEN now()"
                    " ELSE disconnected_at END WHERE node_id = %s",
                    (session.node_id,),
                )

        self._pool.run(work)


def _fetch_one(cur, sql, params):
    cur.execute(sql, params)
    return cur.fetchone()[0]


def _json(value):
    return orjson.dumps(value).decode()
