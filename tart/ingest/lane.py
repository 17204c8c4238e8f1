"""One of the writer's lanes: a connection to PostgreSQL, the gate it holds, and its commits.

A lane sends a batch (:class:`Batch`) as one transaction (:mod:`tart.ingest.batch`), with or
without gates, and waits out everything that is not a row error: no connection, a server
shutting down or restarting, a read-only or full database, missing privileges — with a growing
pause, while the connection greenlets block on the full queue, which is TCP backpressure on
the nodes.

When a connection is lost while a commit is on its way, the lane waits until the old server
process is gone and reads its row in writer_progress, which every commit updates: it sends the
commit again only if it did not happen, so nothing is stored twice.
"""

import logging

import gevent
import psycopg2
import psycopg2.errors
import psycopg2.extensions
from psycopg2.extras import execute_values

from tart.db.connect import first_line
from tart.db.errors import DATABASE_ERRORS, is_row_error
from tart.ingest.batch import (
    EVENT_TEMPLATE,
    close_gate,
    end_backend,
    errors_sql,
    event_values,
    insert_events,
    mark_progress,
    open_gate,
    progress,
    start_progress,
    wait_at_gate,
)
from tart.ingest.counters import Counters
from tart.ingest.items import Event, Undecodable
from tart.supervision import Backoff

log = logging.getLogger(__name__)

# Pauses between attempts while the database is away: short at first, since a restart takes
# about a second, and at most RETRY_LONGEST.
RETRY_FIRST = 0.1
RETRY_LONGEST = 5.0


class Batch:
    """A batch on its way: its number, items and the counters that ride along."""

    __slots__ = ("counters", "errors", "events", "number", "split", "taken", "token")

    def __init__(self, number: int, items: list, counters: Counters):
        self.number = number
        self.taken = len(items)  # from the queue
        self.events = [item for item in items if type(item) is Event]
        self.errors = [item for item in items if type(item) is Undecodable]
        self.counters = counters
        self.token = None  # the lane's token of its latest commit attempt (writer_progress)
        self.split = False  # stored in parts (tart.ingest.refused), some perhaps committed

    @property
    def items(self) -> list:
        return self.events + self.errors


class Lane:
    """`index`: the lane's number (its writer_progress row); `key`: the writer's advisory key,
    for its gates and progress rows; `connect()`: a new connection."""

    def __init__(self, index: int, key: int, connect, stats):
        self.index = index
        self._key = key
        self._connect = connect
        self._stats = stats
        self.conn = None
        self.backend_pid = None
        self.gate = None  # the number of the batch whose gate this connection holds
        self.token = 0  # the number of the lane's latest commit (writer_progress)

    def commit(self, batch: Batch, gated: bool = False) -> None:
        """Send `batch` as one transaction (one attempt); `gated`: in its turn among the
        writer's batches, letting the next one through."""
        conn = self._connection()
        self.token += 1
        batch.token = self.token
        wait = wait_at_gate(self._key, batch.number) if gated else None
        with conn.cursor() as cur:
            after = [
                errors_sql(batch.errors, cur.mogrify) if batch.errors else "",
                batch.counters.sql(),
                mark_progress(self._key, self.index, self.token),
                open_gate(self._key, batch.number) if gated else "",
            ]
            after = [statement for statement in after if statement]
            if batch.events:
                # The other statements go through execute_values' own '%' parsing.
                sql = ";".join([insert_events(wait), *map(_escape_percent, after)])
                execute_values(
                    cur,
                    sql,
                    [(event_values(event),) for event in batch.events],
                    template=EVENT_TEMPLATE,
                    page_size=len(batch.events),
                )
            else:
                cur.execute(";".join(([f"SELECT {wait}"] if wait else []) + after))

    def commit_retrying(self, batch: Batch) -> None:
        """Commit `batch` without gates, waiting out every error but a row error, and never
        twice."""
        partitions_made = False
        while True:
            try:
                self.commit(batch)
                return
            except Exception as error:
                if is_row_error(error):
                    if not partitions_made and self._missing_partition(error):
                        partitions_made = True
                        continue
                    raise
                if self.settle(error):
                    return

    def settle(self, error: Exception) -> bool:
        """After `error` on a commit that is not a row error: wait until the database answers
        again, and whether the commit happened after all."""
        if isinstance(error, psycopg2.extensions.TransactionRollbackError):
            log.warning("rolled back, retrying: %s", first_line(error))
            return False
        self._note_unavailable(error, Backoff(RETRY_FIRST, RETRY_LONGEST).failed())
        lost = self.backend_pid
        self.reset()
        if lost is None:
            return False
        return self.retrying(lambda: self._committed_on(lost))

    def hold_gate(self, number: int) -> None:
        """Hold the gate of batch `number`, the next this lane sends, whatever it takes."""
        self.retrying(lambda: self._close_gate(number))

    def retrying(self, attempt):
        """attempt(), until the database lets it through."""
        backoff = Backoff(RETRY_FIRST, RETRY_LONGEST)
        while True:
            try:
                return attempt()
            except psycopg2.extensions.TransactionRollbackError as error:
                log.warning("rolled back, retrying: %s", first_line(error))
            except DATABASE_ERRORS as error:
                self._note_unavailable(error, backoff.failed())
                self.reset()

    def reset(self) -> None:
        """Close the connection, if any; the next commit opens a new one."""
        if self.conn is not None:
            if not self.conn.closed:
                self.conn.close()
            self.conn = None
            self.backend_pid = None
            self.gate = None
            self._stats.database_pool_connections -= 1

    def _committed_on(self, lost_pid):
        """Whether the lane's last commit went through on the lost connection `lost_pid`."""
        with self._connection().cursor() as cur:
            while True:
                cur.execute(end_backend(lost_pid))
                if cur.fetchone()[0]:
                    break
                gevent.sleep(0.05)
            cur.execute(progress(self._key, self.index))
            row = cur.fetchone()
        return row is not None and row[0] == self.token

    def _note_unavailable(self, error, pause):
        self._stats.writer_errors += 1
        log.warning("database unavailable, retrying in %.1f s: %s", pause, first_line(error))
        gevent.sleep(pause)

    def _missing_partition(self, error):
        """A row for a day with no partition yet: create it (True), else False."""
        if not (isinstance(error, psycopg2.errors.CheckViolation) and "no partition" in str(error)):
            return False
        self.retrying(self._ensure_partitions)
        return True

    def _close_gate(self, number):
        with self._connection().cursor() as cur:
            cur.execute(close_gate(self._key, number))
        self.gate = number

    def _ensure_partitions(self):
        with self._connection().cursor() as cur:
            cur.execute("SELECT tart_ensure_partitions(1)")

    def _connection(self):
        if self.conn is not None and self.conn.closed:
            self.reset()
        if self.conn is None:
            conn = self._connect()
            try:
                # Each batch is one multi-statement query, which PostgreSQL runs as one
                # transaction.
                conn.autocommit = True
                with conn.cursor() as cur:
                    # Quoting in tart.ingest.batch relies on it.
                    cur.execute("SET standard_conforming_strings = on")
                    cur.execute(start_progress(self._key, self.index))
            except BaseException:
                conn.close()
                raise
            self.conn = conn
            self.backend_pid = conn.info.backend_pid
            self._stats.database_pool_connections += 1
        return self.conn


def _escape_percent(sql):
    return sql.replace("%", "%%")
