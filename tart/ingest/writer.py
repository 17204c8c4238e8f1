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
own. With one connection PostgreSQL sat idle about 40 % of the time, while the writer waited
for its turn behind the connection greenlets after every round trip. Committed batches are
accounted for (counters, stats) in batch order.

A row PostgreSQL rejects is found by halving the batch and stored as a decode error; its
batch-mates are written. A lost database connection is retried (connection greenlets meanwhile
block on the full queue, which is TCP backpressure on the nodes) — nothing queued is dropped.
The next batch waits at the gate meanwhile, except after a lost connection, whose gate went with
it: then the next batch may be stored before the retried one.
"""

import logging
import random
import time
from collections import namedtuple

import gevent
import gevent.event
import psycopg2
import psycopg2.errors
import psycopg2.extensions
from gevent.queue import Empty
from psycopg2.extras import execute_values

from tart.db.connect import first_line
from tart.ingest.batch import (
    EVENT_TEMPLATE,
    LANES,
    close_gate,
    errors_sql,
    event_values,
    insert_events,
    open_gate,
    wait_at_gate,
)
from tart.ingest.counters import COUNTERS_INTERVAL, Counters

log = logging.getLogger(__name__)

Event = namedtuple("Event", "session event_id discriminator timestamp data received frame")
Undecodable = namedtuple("Undecodable", "session event_id error received frame")

STOP = object()
# Pending counters are written on their own once nothing has been queued for this long.
COUNTERS_QUIET = 0.05


class _Batch:
    """A batch on its way: its number, items and the counters that ride along."""

    __slots__ = ("counters", "errors", "events", "number")

    def __init__(self, number, items, counters):
        self.number = number
        self.events = [item for item in items if type(item) is Event]
        self.errors = [item for item in items if type(item) is Undecodable]
        self.counters = counters


class _Lane:
    """One of the writer's connections, and the batch whose gate it holds."""

    def __init__(self, index):
        self.index = index
        self.conn = None
        self.gate = None  # the number of the batch whose gate this connection holds


class Writer:
    def __init__(self, queue, connect, settings, stats):
        self.queue = queue
        self._connect = connect
        self._batch_size = settings.batch_size
        self._flush = settings.flush_ms / 1000.0
        self._stats = stats
        self._counters = Counters()  # of committed batches, not written yet
        self._counters_taken = time.monotonic()
        # Gate locks are this writer's own: two-int advisory keys, apart from the writers' lock.
        self._gate_key = random.randrange(1, 2**31)
        self._turns = [gevent.event.Event() for _ in range(LANES)]
        self._collected = 0  # batches taken from the queue
        self._accounted = 0  # batches committed and accounted for
        self._accounted_changed = gevent.event.Event()
        self._stopping = False

    def run(self):
        """Write batches until STOP has been taken from the queue and everything before it
        (counters included) is committed."""
        lanes = [_Lane(index) for index in range(LANES)]
        self._turns[0].set()
        try:
            gevent.joinall([gevent.spawn(self._lane, lane) for lane in lanes], raise_error=True)
            if self._counters:
                last = _Batch(self._collected, [], self._counters.take(1.0))
                self._retrying(lanes[0], lambda: self._commit_or_split(lanes[0], last))
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
            batch = _Batch(
                number,
                items,
                self._counters.take(
                    (now - self._counters_taken) / COUNTERS_INTERVAL if items else 1.0
                ),
            )
            self._counters_taken = now
            self._collected += 1
            self._turns[(lane.index + 1) % LANES].set()
            self._write(lane, batch)

    def _collect(self):
        """The next batch's items: whatever is queued (up to the batch size), waiting at most
        the flush interval after the first for more to arrive; none when counters are waiting
        to be written and the queue has gone quiet."""
        while True:
            try:
                # Polls, since the other lane's commit may leave counters pending meanwhile.
                batch = [self.queue.get(timeout=COUNTERS_QUIET)]
                break
            except Empty:
                if self._counters:
                    return [], False
        deadline = time.monotonic() + self._flush
        while len(batch) < self._batch_size:
            if batch[-1] is STOP:
                return batch[:-1], True
            if self.queue.qsize():
                batch.append(self.queue.get_nowait())
            elif time.monotonic() < deadline:
                gevent.sleep(0.001)
            else:
                break
        if batch[-1] is STOP:
            return batch[:-1], True
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
        except psycopg2.Error as error:
            log.warning(
                "batch of %d failed, storing it again: %s",
                len(batch.events) + len(batch.errors),
                first_line(error),
            )
            batch.events, batch.errors = self._retrying(
                lane, lambda: self._commit_or_split(lane, batch)
            )
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
        self._counters.add(Counters.of_batch(batch.events, batch.errors))
        if batch.events or batch.errors:
            self._stats.events_stored += len(batch.events)
            self._stats.batches_written += 1
            self._stats.batch_write_duration.observe(duration)
        self._accounted += 1
        changed, self._accounted_changed = self._accounted_changed, gevent.event.Event()
        changed.set()

    def _retrying(self, lane, attempt):
        """attempt(), until the database lets it through."""
        while True:
            try:
                return attempt()
            except psycopg2.extensions.TransactionRollbackError as error:
                log.warning("rolled back, retrying: %s", first_line(error))
            except (psycopg2.OperationalError, psycopg2.InterfaceError) as error:
                log.warning("database unavailable, retrying: %s", first_line(error))
                self._reset(lane)
                gevent.sleep(1.0)

    def _commit_or_split(self, lane, batch):
        """Commit `batch` without gates, setting aside any row PostgreSQL refuses; the events
        and errors stored."""
        try:
            try:
                self._commit(lane, batch)
            except psycopg2.errors.CheckViolation as error:
                if "no partition" not in str(error):
                    raise
                self._ensure_partitions(lane)
                self._commit(lane, batch)
            return batch.events, batch.errors
        except (psycopg2.DataError, psycopg2.IntegrityError, psycopg2.ProgrammingError) as error:
            items = batch.events + batch.errors
            if len(items) <= 1:
                if not items:  # the counters alone: nothing to set aside
                    raise
                return self._reject(lane, batch, error)
            middle = len(items) // 2
            first = self._commit_or_split(
                lane, _Batch(batch.number, items[:middle], batch.counters)
            )
            second = self._commit_or_split(lane, _Batch(batch.number, items[middle:], Counters()))
            return first[0] + second[0], first[1] + second[1]

    def _commit(self, lane, batch, gated=False):
        wait = wait_at_gate(self._gate_key, batch.number) if gated else None
        with self._connection(lane).cursor() as cur:
            after = list(
                filter(
                    None,
                    [
                        errors_sql(batch.errors, cur.mogrify) if batch.errors else "",
                        batch.counters.sql(),
                        open_gate(self._gate_key, batch.number) if gated else "",
                    ],
                )
            )
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
            elif wait or after:
                cur.execute(";".join(([f"SELECT {wait}"] if wait else []) + after))

    def _reject(self, lane, batch, error):
        """A single row PostgreSQL will not take: keep an event's frame as a decode error
        instead; the events and errors stored."""
        reason = "rejected by PostgreSQL: " + first_line(error)
        log.warning("%s", reason)
        if not batch.events:
            self._stats.drop("decode error not storable")
            if batch.counters:
                self._commit(lane, _Batch(batch.number, [], batch.counters))
            return [], []
        item = batch.events[0]
        self._stats.drop("rejected by database")
        rejected = Undecodable(
            item.session, item.event_id, _Rejected(reason, item), item.received, item.frame
        )
        self._commit(lane, _Batch(batch.number, [rejected], batch.counters))
        return [], [rejected]

    def _close_gate(self, lane, number):
        with self._connection(lane).cursor() as cur:
            cur.execute(close_gate(self._gate_key, number))
        lane.gate = number

    def _ensure_partitions(self, lane):
        conn = self._connection(lane)
        with conn.cursor() as cur:
            cur.execute("SELECT tart_ensure_partitions(1)")

    def _connection(self, lane):
        if lane.conn is not None and lane.conn.closed:
            self._reset(lane)
        if lane.conn is None:
            lane.conn = self._connect()
            # Each batch is one multi-statement query, which PostgreSQL runs as one transaction.
            lane.conn.autocommit = True
            with lane.conn.cursor() as cur:
                # Quoting in tart.ingest.batch relies on it.
                cur.execute("SET standard_conforming_strings = on")
            self._stats.database_pool_connections += 1
        return lane.conn

    def _reset(self, lane):
        if lane.conn is not None:
            if not lane.conn.closed:
                lane.conn.close()
            lane.conn = None
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
