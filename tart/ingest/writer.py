"""The writer: drains the queue in batches into PostgreSQL, one transaction a batch.

What a batch's transaction does is in :mod:`tart.ingest.batch`: events (``execute_values``),
undecodable frames and ``NOTIFY tart_events, '<first>,<last>'``, committed in id order across
ingest processes, so a live subscriber that has seen id N has seen every id below it; with them
go the node and session counters pending longest (:mod:`tart.ingest.counters`).

The writer is two greenlets, lanes, each with its own connection, taking turns at the queue:
batch n is collected and sent by lane n % 2. While one batch is in PostgreSQL the other lane
builds the next and, if a batch's worth more is queued behind it, sends it at once to wait there
at its gate for its predecessor's rows, its own parsed meanwhile (:mod:`tart.ingest.batch`). So
under load PostgreSQL has the next batch ready the moment one commits; without a backlog the
next batch waits for the commit, as it would with one connection, and its write time stays its
own. Committed batches are accounted for (counters, stats) in batch order.

The writer never gives up on the database and never loses what it took from the queue. Errors
are of two kinds:

- *Row errors*: PostgreSQL refuses something a statement holds (a value out of range, a
  constraint), or TART's own code fails on it; the same rows would fail again. The batch is
  halved until the row is found; it is kept as a decode error instead, its batch-mates are
  written. If even its decode error is refused, it is counted as dropped, with the reason.
- *Everything else* — no connection, a server shutting down or restarting, a read-only or full
  database, missing privileges: waited out with a growing pause, while the connection
  greenlets block on the full queue, which is TCP backpressure on the nodes.

When a connection is lost while a commit is on its way, the writer waits until the old server
process is gone and reads the lane's row in writer_progress, which every commit updates: it
sends the commit again only if it did not happen, so nothing is stored twice. The next batch
waits at the gate meanwhile, except after a lost connection, whose gate went with it: then the
next batch may be stored before the retried one.
"""

import logging
import random
import time

import gevent
import gevent.event
import psycopg2
import psycopg2.errors
import psycopg2.extensions
from gevent.queue import Empty
from psycopg2.extras import execute_values

from tart.db.connect import DatabaseUnavailable, first_line
from tart.db.errors import is_row_error
from tart.ingest.batch import (
    EVENT_TEMPLATE,
    LANES,
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
from tart.ingest.counters import COUNTERS_INTERVAL, Counters
from tart.ingest.items import Event, Undecodable
from tart.ingest.stats import (
    DECODE_ERROR_NOT_STORABLE,
    REFUSED_WITH_ITS_DECODE_ERROR,
    REJECTED_BY_DATABASE,
)
from tart.supervision import Backoff

log = logging.getLogger(__name__)

# Pending counters are written on their own once nothing has been queued for this long.
COUNTERS_QUIET = 0.05
# Pauses between attempts while the database is away: short at first, since a restart takes
# about a second, and at most RETRY_LONGEST.
RETRY_FIRST = 0.1
RETRY_LONGEST = 5.0


class _Batch:
    """A batch on its way: its number, items and the counters that ride along."""

    __slots__ = ("counters", "errors", "events", "number", "taken")

    def __init__(self, number, items, counters):
        self.number = number
        self.taken = len(items)  # from the queue
        self.events = [item for item in items if type(item) is Event]
        self.errors = [item for item in items if type(item) is Undecodable]
        self.counters = counters

    @property
    def items(self) -> list:
        return self.events + self.errors


class _Lane:
    """One of the writer's connections, the batch whose gate it holds, and its commits."""

    def __init__(self, index):
        self.index = index
        self.conn = None
        self.backend_pid = None
        self.gate = None  # the number of the batch whose gate this connection holds
        self.token = 0  # the number of the lane's latest commit (writer_progress)


class Writer:
    def __init__(self, queue, connect, settings, stats):
        self.queue = queue
        self._connect = connect
        self._batch_size = settings.batch_size
        self._flush = settings.flush_ms / 1000.0
        self._stats = stats
        self._counters = Counters()  # of committed batches, not written yet
        self._counters_taken = time.monotonic()
        # Gate locks and progress rows are this writer's own: two-int advisory keys, apart from
        # the writers' lock.
        self._key = random.randrange(1, 2**31)
        self._turns = [gevent.event.Event() for _ in range(LANES)]
        self._collected = 0  # batches taken from the queue
        self._accounted = 0  # batches committed and accounted for
        self._accounted_changed = gevent.event.Event()
        self._stop = gevent.event.Event()
        self._stopping = False
        self.in_flight = 0  # items taken from the queue and not yet committed

    def stop(self) -> None:
        """Finish: write what is queued, then return from run(). Nothing may be queued after."""
        self._stop.set()

    def run(self) -> None:
        """Write batches until stop() and everything queued (counters included) is committed."""
        lanes = [_Lane(index) for index in range(LANES)]
        self._turns[0].set()
        try:
            gevent.joinall([gevent.spawn(self._lane, lane) for lane in lanes], raise_error=True)
            if self._counters:
                self._store(lanes[0], _Batch(self._collected, [], self._counters.take(1.0)))
        finally:
            for lane in lanes:
                self._reset(lane)

    def _lane(self, lane):
        while True:
            turn = self._turns[lane.index]
            turn.wait()
            turn.clear()
            if self._stopping:
                self._turns[(lane.index + 1) % LANES].set()
                return
            number = self._collected
            if lane.gate != number:
                self._retrying(lane, lambda number=number: self._close_gate(lane, number))
            items, self._stopping = self._collect()
            # Counters are taken in batch order, so a node's latest block is written last.
            now = time.monotonic()
            share = (now - self._counters_taken) / COUNTERS_INTERVAL if items else 1.0
            batch = _Batch(number, items, self._counters.take(share))
            self.in_flight += batch.taken
            self._counters_taken = now
            self._collected += 1
            self._turns[(lane.index + 1) % LANES].set()
            self._write(lane, batch)

    def _collect(self):
        """The next batch's items and whether they are the last: whatever is queued (up to the
        batch size), waiting at most the flush interval after the first for more to arrive;
        none when counters are waiting to be written and the queue has gone quiet."""
        while True:
            try:
                # Polls, since the other lane's commit may leave counters pending meanwhile.
                batch = [self.queue.get(timeout=COUNTERS_QUIET)]
                break
            except Empty:
                if self._stop.is_set() and not self.queue.qsize():
                    return [], True
                if self._counters:
                    return [], False
        deadline = time.monotonic() + self._flush
        while len(batch) < self._batch_size:
            if self.queue.qsize():
                batch.append(self.queue.get_nowait())
            elif self._stop.is_set() or time.monotonic() >= deadline:
                break
            else:
                gevent.sleep(0.001)
        return batch, False

    def _write(self, lane, batch):
        """Write `batch` through its gates; if that fails, store it another way and then let
        the next batch through."""
        if self.queue.qsize() < self._batch_size:
            # No backlog: this batch would only wait at its gate. Waiting here instead, as
            # one connection would, keeps a batch's write time its own.
            self._wait_accounted(batch.number - 1)
        started = time.perf_counter()
        try:
            self._commit(lane, batch, gated=True)
        except Exception as error:
            if is_row_error(error) or not self._settle(lane, error):
                log.warning(
                    "batch of %d failed, storing it again: %s",
                    len(batch.events) + len(batch.errors),
                    first_line(error),
                )
                batch.events, batch.errors = self._store(lane, batch)
            self._retrying(lane, lambda: self._close_gate(lane, batch.number + LANES))
        else:
            lane.gate = batch.number + LANES
        self._account(batch, time.perf_counter() - started)

    def _wait_accounted(self, number):
        """Wait until batch `number` and all before it are committed and counted."""
        while self._accounted <= number:
            self._accounted_changed.wait()

    def _account(self, batch, duration):
        """Count a committed batch, after every batch before it."""
        self._wait_accounted(batch.number - 1)
        self.in_flight -= batch.taken
        counters = Counters.of_batch(batch.events, batch.errors)
        self._counters.add(counters)
        if batch.events or batch.errors:
            self._stats.events_stored += len(batch.events)
            for node in counters.nodes.values():
                self._stats.events_stored_by_type.update(node.by_type)
            self._stats.batches_written += 1
            self._stats.batch_write_duration.observe(duration)
            self._stats.last_write_at = time.time()
        self._accounted += 1
        changed, self._accounted_changed = self._accounted_changed, gevent.event.Event()
        changed.set()

    def _store(self, lane, batch):
        """Commit `batch` without gates, whatever it takes: the events and errors stored."""
        try:
            self._commit_retrying(lane, batch)
        except Exception as error:
            if not is_row_error(error):
                raise
            return self._split(lane, batch, error)
        return batch.events, batch.errors

    def _split(self, lane, batch, error):
        """`batch` has a row PostgreSQL refuses: store its counters on their own and its items
        in halves, down to the row, which is set aside."""
        if batch.counters:
            self._store_counters(lane, batch)
        items = batch.items
        if not items:
            return [], []
        if len(items) == 1:
            return self._reject(lane, batch, error)
        middle = len(items) // 2
        stored = [
            self._store(lane, _Batch(batch.number, part, Counters()))
            for part in (items[:middle], items[middle:])
        ]
        return stored[0][0] + stored[1][0], stored[0][1] + stored[1][1]

    def _store_counters(self, lane, batch):
        counters = _Batch(batch.number, [], batch.counters)
        batch.counters = Counters()
        try:
            self._commit_retrying(lane, counters)
        except Exception as error:
            if not is_row_error(error):
                raise
            # Counts of events that are stored: the events table still has them all.
            log.error("node and session counters refused, not written: %s", first_line(error))

    def _reject(self, lane, batch, error):
        """A single row PostgreSQL will not take: keep an event's frame as a decode error
        instead; the events and errors stored."""
        reason = "rejected by PostgreSQL: " + first_line(error)
        log.warning("%s", reason)
        (item,) = batch.items
        if type(item) is Event:
            rejected = Undecodable(
                item.session, item.event_id, _Rejected(reason, item), item.received, item.frame
            )
            try:
                self._commit_retrying(lane, _Batch(batch.number, [rejected], Counters()))
            except Exception as error:
                if not is_row_error(error):
                    raise
                self._stats.drop(REFUSED_WITH_ITS_DECODE_ERROR)
                log.error("decode error refused too: %s", first_line(error))
                return [], []
            self._stats.drop(REJECTED_BY_DATABASE)
            return [], [rejected]
        self._stats.drop(DECODE_ERROR_NOT_STORABLE)
        return [], []

    def _commit_retrying(self, lane, batch):
        """Commit `batch` without gates, waiting out every error but a row error, and never
        twice."""
        partitions_made = False
        while True:
            try:
                self._commit(lane, batch)
                return
            except Exception as error:
                if is_row_error(error):
                    if not partitions_made and self._missing_partition(lane, error):
                        partitions_made = True
                        continue
                    raise
                if self._settle(lane, error):
                    return

    def _settle(self, lane, error):
        """After `error` on a commit that is not a row error: wait until the database answers
        again, and whether the commit happened after all."""
        if isinstance(error, psycopg2.extensions.TransactionRollbackError):
            log.warning("rolled back, retrying: %s", first_line(error))
            return False
        self._note_unavailable(lane, error, Backoff(RETRY_FIRST, RETRY_LONGEST).failed())
        lost = lane.backend_pid
        self._reset(lane)
        if lost is None:
            return False
        return self._retrying(lane, lambda: self._committed_on(lane, lost))

    def _committed_on(self, lane, lost_pid):
        """Whether the lane's last commit went through on the lost connection `lost_pid`."""
        with self._connection(lane).cursor() as cur:
            while True:
                cur.execute(end_backend(lost_pid))
                if cur.fetchone()[0]:
                    break
                gevent.sleep(0.05)
            cur.execute(progress(self._key, lane.index))
            row = cur.fetchone()
        return row is not None and row[0] == lane.token

    def _retrying(self, lane, attempt):
        """attempt(), until the database lets it through."""
        backoff = Backoff(RETRY_FIRST, RETRY_LONGEST)
        while True:
            try:
                return attempt()
            except psycopg2.extensions.TransactionRollbackError as error:
                log.warning("rolled back, retrying: %s", first_line(error))
            except (psycopg2.Error, DatabaseUnavailable) as error:
                self._note_unavailable(lane, error, backoff.failed())
                self._reset(lane)

    def _note_unavailable(self, lane, error, pause):
        self._stats.writer_errors += 1
        log.warning("database unavailable, retrying in %.1f s: %s", pause, first_line(error))
        gevent.sleep(pause)

    def _missing_partition(self, lane, error):
        """A row for a day with no partition yet: create it (True), else False."""
        if not (isinstance(error, psycopg2.errors.CheckViolation) and "no partition" in str(error)):
            return False
        self._retrying(lane, lambda: self._ensure_partitions(lane))
        return True

    def _commit(self, lane, batch, gated=False):
        """Send `batch` as one transaction (one attempt)."""
        conn = self._connection(lane)
        lane.token += 1
        wait = wait_at_gate(self._key, batch.number) if gated else None
        with conn.cursor() as cur:
            after = [
                errors_sql(batch.errors, cur.mogrify) if batch.errors else "",
                batch.counters.sql(),
                mark_progress(self._key, lane.index, lane.token),
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

    def _close_gate(self, lane, number):
        with self._connection(lane).cursor() as cur:
            cur.execute(close_gate(self._key, number))
        lane.gate = number

    def _ensure_partitions(self, lane):
        with self._connection(lane).cursor() as cur:
            cur.execute("SELECT tart_ensure_partitions(1)")

    def _connection(self, lane):
        if lane.conn is not None and lane.conn.closed:
            self._reset(lane)
        if lane.conn is None:
            conn = self._connect()
            try:
                # Each batch is one multi-statement query, which PostgreSQL runs as one
                # transaction.
                conn.autocommit = True
                with conn.cursor() as cur:
                    # Quoting in tart.ingest.batch relies on it.
                    cur.execute("SET standard_conforming_strings = on")
                    cur.execute(start_progress(self._key, lane.index))
            except BaseException:
                conn.close()
                raise
            lane.conn = conn
            lane.backend_pid = conn.info.backend_pid
            self._stats.database_pool_connections += 1
        return lane.conn

    def _reset(self, lane):
        if lane.conn is not None:
            if not lane.conn.closed:
                lane.conn.close()
            lane.conn = None
            lane.backend_pid = None
            lane.gate = None
            self._stats.database_pool_connections -= 1


def _escape_percent(sql):
    return sql.replace("%", "%%")


class _Rejected:
    """The DecodeError-like record of an event PostgreSQL refused."""

    def __init__(self, reason, event):
        self.reason = reason
        self.discriminator = event.discriminator
        self.event_name = next(iter(event.data))
        self.field_path = None
        self.offset = None
