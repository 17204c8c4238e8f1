"""The writer greenlet: drains the queue in batches into PostgreSQL, one transaction a batch.

In each transaction it takes the writers' advisory lock, allocates the batch's event ids, inserts
the events (``execute_values``) and undecodable frames, updates node and session counters, and
``NOTIFY tart_events, '<first>,<last>'``. Because every writer holds the lock from allocating ids
to commit, batches commit in id order even with several ingest processes, so a live subscriber that
has seen id N has seen every id below it.

A row PostgreSQL rejects is found by halving the batch and stored as a decode error; its
batch-mates are written. A lost database connection is retried (connection greenlets meanwhile
block on the full queue, which is TCP backpressure on the nodes) — nothing queued is dropped.
"""
import logging
import time
from collections import namedtuple

import gevent
import orjson
import psycopg2
import psycopg2.errors
import psycopg2.extensions
from psycopg2.extensions import AsIs
from psycopg2.extras import execute_values

log = logging.getLogger(__name__)

# pg_advisory_xact_lock key shared by every ingest writer ("TART" + 1).
WRITERS_LOCK = 0x54415254_01

# Node timestamps after 9999-12-31 have no timestamptz; their node_time is NULL.
_MAX_UNIX = 253402300799
_JAM_EPOCH_UNIX = 1735732800

Event = namedtuple("Event", "session event_id discriminator timestamp data received frame")
Undecodable = namedtuple("Undecodable", "session event_id error received frame")

STOP = object()

_INSERT_EVENTS = (
    "INSERT INTO events (id, node_id, session_id, event_id, event_type, node_timestamp,"
    " node_time, received_at, data) VALUES %s")
# Each event row is rendered to SQL by _event_values and passed as one pre-quoted value:
# psycopg2's per-row mogrify costs ~20 µs, most of the writer's CPU, where these literals (ints,
# floats, hex and JSON text) take ~3 µs. The writer's connections set standard_conforming_strings,
# under which doubling ' is the whole of quoting a string literal.
_EVENT_TEMPLATE = "%s"
_INSERT_ERRORS = (
    "INSERT INTO decode_errors (node_id, session_id, event_id, discriminator, event_name, raw,"
    " field_path, byte_offset, reason, received_at) VALUES %s")
_ERROR_TEMPLATE = "(%s, %s, %s, %s, %s, %s, %s, %s, %s, to_timestamp(%s))"
_UPDATE_NODES = (
    "UPDATE nodes AS n SET event_count = n.event_count + v.stored,"
    " last_seen_at = greatest(n.last_seen_at, to_timestamp(v.seen)),"
    " best_slot = coalesce(v.best_slot, n.best_slot),"
    " best_hash = coalesce(v.best_hash, n.best_hash),"
    " finalized_slot = coalesce(v.finalized_slot, n.finalized_slot),"
    " finalized_hash = coalesce(v.finalized_hash, n.finalized_hash)"
    " FROM (VALUES %s) AS v (node_id, stored, seen, best_slot, best_hash, finalized_slot,"
    " finalized_hash) WHERE n.node_id = v.node_id")
_NODE_TEMPLATE = "(%s, %s, %s, %s::bigint, %s, %s::bigint, %s)"
_LOCK_SESSIONS = "SELECT FROM sessions WHERE id = ANY(%s) ORDER BY id FOR UPDATE"
_LOCK_NODES = "SELECT FROM nodes WHERE node_id = ANY(%s) ORDER BY node_id FOR UPDATE"
_UPDATE_SESSIONS = (
    "UPDATE sessions AS s SET events_stored = s.events_stored + v.stored,"
    " events_undecodable = s.events_undecodable + v.undecodable"
    " FROM (VALUES %s) AS v (id, stored, undecodable) WHERE s.id = v.id")


class Writer:
    def __init__(self, queue, connect, settings, stats):
        self.queue = queue
        self._connect = connect
        self._batch_size = settings.batch_size
        self._flush = settings.flush_ms / 1000.0
        self._stats = stats
        self._conn = None

    def run(self):
        """Write batches until STOP has been taken from the queue and everything before it is
        committed."""
        stopping = False
        while not stopping:
            batch, stopping = self._collect()
            if batch:
                self._write(batch)
        if self._conn is not None:
            self._conn.close()

    def _collect(self):
        """The next batch: whatever is queued (up to the batch size), waiting at most the flush
        interval after the first item for more to arrive."""
        batch = [self.queue.get()]
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
            if len(batch) == 1:
                self._reject(batch[0], error)
                return
            middle = len(batch) // 2
            self._write_or_split(batch[:middle])
            self._write_or_split(batch[middle:])

    def _commit(self, batch):
        conn = self._connection()
        try:
            with conn.cursor() as cur:
                first = self._insert(cur, batch)
            conn.commit()
        except Exception:
            if not conn.closed:
                conn.rollback()
            raise
        self._committed(batch, first)

    def _insert(self, cur, batch):
        events = [item for item in batch if type(item) is Event]
        errors = [item for item in batch if type(item) is Undecodable]
        nodes, sessions = {}, {}
        first = None
        if events:
            cur.execute("SELECT pg_advisory_xact_lock(%s);"
                        " SELECT setval('events_id_seq', nextval('events_id_seq') + %s - 1)",
                        (WRITERS_LOCK, len(events)))
            first = cur.fetchone()[0] - len(events) + 1
            rows = []
            for number, event in enumerate(events, first):
                session = event.session
                rows.append((_event_values(number, event),))
                _count(nodes, sessions, event)
            execute_values(cur, _INSERT_EVENTS, rows, template=_EVENT_TEMPLATE,
                           page_size=len(rows))
        if errors:
            execute_values(cur, _INSERT_ERRORS, [_error_row(item) for item in errors],
                           template=_ERROR_TEMPLATE, page_size=len(errors))
            for item in errors:
                sessions.setdefault(item.session.id, [0, 0])[1] += 1
        # Every transaction that touches both locks sessions, then nodes, each in key order:
        # the session store's transactions do too, so none of them can deadlock.
        if sessions:
            cur.execute(_LOCK_SESSIONS, (sorted(sessions),))
            execute_values(cur, _UPDATE_SESSIONS, [(session_id, *values)
                                                   for session_id, values in sessions.items()],
                           page_size=len(sessions))
        if nodes:
            cur.execute(_LOCK_NODES, (sorted(nodes),))
            execute_values(cur, _UPDATE_NODES, [(node_id, *values)
                                                for node_id, values in nodes.items()],
                           template=_NODE_TEMPLATE, page_size=len(nodes))
        if events:
            cur.execute("SELECT pg_notify('tart_events', %s)",
                        (f"{first},{first + len(events) - 1}",))
        return first

    def _committed(self, batch, first):
        stored = 0
        for item in batch:
            if type(item) is Event:
                item.session.stored += 1
                stored += 1
        self._stats.events_stored += stored
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
            with self._conn.cursor() as cur:
                # Quoting in _event_values relies on it; a batch lost to an operating system
                # crash is no worse than the queue lost with the process.
                cur.execute("SET standard_conforming_strings = on;"
                            " SET synchronous_commit = off")
            self._conn.commit()
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


def _count(nodes, sessions, event):
    session = event.session
    node = nodes.get(session.node_id)
    if node is None:
        node = nodes[session.node_id] = [0, event.received, None, None, None, None]
    node[0] += 1
    node[1] = event.received
    if event.discriminator == 11:
        block = event.data["BestBlockChanged"]
        node[2], node[3] = block["slot"], block["hash"]
    elif event.discriminator == 12:
        block = event.data["FinalizedBlockChanged"]
        node[4], node[5] = block["slot"], block["hash"]
    sessions.setdefault(session.id, [0, 0])[0] += 1


def _error_row(item):
    error = item.error
    return (item.session.node_id, item.session.id, item.event_id, error.discriminator,
            error.event_name, item.frame, error.field_path, error.offset, error.reason,
            item.received)


def _event_values(number, event):
    """The SQL ``(…)`` of one events row (see _EVENT_TEMPLATE)."""
    session = event.session
    unix = event.timestamp / 1e6 + _JAM_EPOCH_UNIX
    node_time = f"to_timestamp({unix!r})" if unix <= _MAX_UNIX else "NULL"
    data = orjson.dumps(event.data).decode().replace("'", "''")
    return AsIs(f"({number},'{session.node_id}',{session.id},{event.event_id},"
                f"{event.discriminator},{event.timestamp},{node_time},"
                f"to_timestamp({event.received!r}),'{data}')")
