"""The writer greenlet: drains the queue in batches into PostgreSQL, one transaction a batch.

What a batch's transaction does is in :mod:`tart.ingest.batch`: events (``execute_values``),
undecodable frames and ``NOTIFY tart_events, '<first>,<last>'``, committed in id order across
ingest processes, so a live subscriber that has seen id N has seen every id below it; with them
go the node and session counters pending longest (:mod:`tart.ingest.counters`).

A row PostgreSQL rejects is found by halving the batch and stored as a decode error; its
batch-mates are written. A lost database connection is retried (connection greenlets meanwhile
block on the full queue, which is TCP backpressure on the nodes) — nothing queued is dropped.
"""
import logging
import time
from collections import namedtuple

import gevent
import psycopg2
import psycopg2.errors
import psycopg2.extensions
from gevent.queue import Empty
from psycopg2.extras import execute_values

from tart.ingest.batch import EVENT_TEMPLATE, INSERT_EVENTS, errors_sql, event_values
from tart.ingest.counters import COUNTERS_INTERVAL, Counters

log = logging.getLogger(__name__)

Event = namedtuple("Event", "session event_id discriminator timestamp data received frame")
Undecodable = namedtuple("Undecodable", "session event_id error received frame")

STOP = object()
# Pending counters are written on their own once nothing has been queued for this long.
COUNTERS_QUIET = 0.05


class Writer:
    def __init__(self, queue, connect, settings, stats):
        self.queue = queue
        self._connect = connect
        self._batch_size = settings.batch_size
        self._flush = settings.flush_ms / 1000.0
        self._stats = stats
        self._conn = None
        self._counters = Counters()  # of committed batches, not written yet
        self._counters_taken = time.monotonic()

    def run(self):
        """Write batches until STOP has been taken from the queue and everything before it
        (counters included) is committed."""
        stopping = False
        while not stopping:
            batch, stopping = self._collect()
            if batch:
                self._write(batch)
            if (stopping or not batch) and self._counters:
                self._write([])
        if self._conn is not None:
            self._conn.close()

    def _collect(self):
        """The next batch: whatever is queued (up to the batch size), waiting at most the flush
        interval after the first item for more to arrive; empty when counters are waiting to be
        written and the queue has gone quiet."""
        try:
            batch = [self.queue.get(timeout=COUNTERS_QUIET if self._counters else None)]
        except Empty:
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

    def _write(self, batch):
        started = time.perf_counter()
        while True:
            try:
                self._write_or_split(batch)
                break
            except psycopg2.extensions.TransactionRollbackError as error:
                log.warning("batch of %d rolled back, retrying: %s", len(batch), error)
            except (psycopg2.OperationalError, psycopg2.InterfaceError) as error:
                log.warning("database unavailable, retrying batch of %d: %s", len(batch),
                            str(error).strip().splitlines()[0] if str(error).strip() else error)
                self._reset()
                gevent.sleep(1.0)
        if batch:
            self._stats.batch_write_duration.observe(time.perf_counter() - started)

    def _write_or_split(self, batch):
        try:
            self._commit(batch)
        except psycopg2.errors.CheckViolation as error:
            if "no partition" not in str(error):
                raise
            self._ensure_partitions()
            self._commit(batch)
        except (psycopg2.DataError, psycopg2.IntegrityError, psycopg2.ProgrammingError) as error:
            if len(batch) <= 1:
                if not batch:  # the counters alone: nothing to set aside
                    raise
                self._reject(batch[0], error)
                return
            middle = len(batch) // 2
            self._write_or_split(batch[:middle])
            self._write_or_split(batch[middle:])

    def _commit(self, batch):
        events = [item for item in batch if type(item) is Event]
        errors = [item for item in batch if type(item) is Undecodable]
        # The counters of the nodes pending longest ride along: an empty batch takes them all.
        now = time.monotonic()
        counters = self._counters.take(
            (now - self._counters_taken) / COUNTERS_INTERVAL if batch else 1.0)
        try:
            with self._connection().cursor() as cur:
                rest = ";".join(filter(None, (errors and errors_sql(errors, cur.mogrify),
                                              counters.sql())))
                if events:
                    # The statements after the insert go through execute_values' own '%'
                    # parsing.
                    execute_values(cur, ";".join((INSERT_EVENTS, rest.replace("%", "%%")))
                                   if rest else INSERT_EVENTS,
                                   [(event_values(event),) for event in events],
                                   template=EVENT_TEMPLATE, page_size=len(events))
                elif rest:
                    cur.execute(rest)
        except BaseException:
            self._counters.add(counters)
            raise
        self._counters_taken = now
        self._counters.add(Counters.of_batch(events, errors))
        self._stats.events_stored += len(events)
        if batch:
            self._stats.batches_written += 1

    def _reject(self, item, error):
        """A single row PostgreSQL will not take: keep its frame as a decode error instead."""
        reason = "rejected by PostgreSQL: " + str(error).strip().splitlines()[0]
        log.warning("%s", reason)
        if type(item) is Event:
            self._stats.drop("rejected by database")
            item = Undecodable(item.session, item.event_id, _Rejected(reason, item),
                               item.received, item.frame)
        else:
            self._stats.drop("decode error not storable")
            return
        self._commit([item])

    def _ensure_partitions(self):
        conn = self._connection()
        with conn, conn.cursor() as cur:
            cur.execute("SELECT tart_ensure_partitions(1)")

    def _connection(self):
        if self._conn is None or self._conn.closed:
            self._conn = self._connect()
            # Each batch is one multi-statement query, which PostgreSQL runs as one transaction.
            self._conn.autocommit = True
            with self._conn.cursor() as cur:
                # Quoting in tart.ingest.batch relies on it.
                cur.execute("SET standard_conforming_strings = on")
            self._stats.database_pool_connections += 1
        return self._conn

    def _reset(self):
        if self._conn is not None:
            if not self._conn.closed:
                self._conn.close()
            self._conn = None
            self._stats.database_pool_connections -= 1


class _Rejected:
    """The DecodeError-like record of an event PostgreSQL refused."""

    def __init__(self, reason, event):
        self.reason = reason
        self.discriminator = event.discriminator
        self.event_name = next(iter(event.data))
        self.field_path = None
        self.offset = None
