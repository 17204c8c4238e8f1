"""A writer batch as one SQL transaction, sent in one round trip.

The writer's connections are in autocommit mode and send each batch as a single multi-statement
query, which PostgreSQL runs as one implicit transaction: wait at the batch's gate, take the
writers' advisory lock, insert the events (ids from the sequence, in order) and NOTIFY their id
range, insert the undecodable frames and add them to their conformance counts, and, about once
a second, add to the sessions' and nodes' counters (:mod:`tart.ingest.counters`), then open
the gate for the next batch. One round trip matters because the writer is made of greenlets:
each wait for the database costs a turn behind every connection greenlet.

The wait and the lock are a CTE of the events' INSERT rather than statements before it, because
PostgreSQL analyses a whole statement before running any of it, and that analysis — turning
each row's literals into values, JSON text into jsonb — is about half its work on a batch. So
a batch's rows are analysed while a batch before it holds the lock, on the other core; only
the inserting itself is one batch at a time.

Gates keep a writer's batches in the order they left the queue, so a node's events get ids in
the order it sent them. Batch n is sent while batch n - 1 may still be on its way to PostgreSQL
on another connection, and the writers' lock alone would let whichever arrives first go
first. So batch n first waits for the session-level advisory lock "gate n - 1", which the
connection of batch n - 1 took before batch n was built (at the end of its previous batch) and
releases at the end of batch n - 1, after its rows are in. A batch that fails keeps its gate
closed until its rows are stored another way.

Event rows (and counter rows) are written as SQL literals rather than by psycopg2's per-row
adaptation, which costs ~20 µs a row, most of the writer's CPU: their values are integers,
floats, hex strings and JSON text, and with standard_conforming_strings on (the writer sets it)
doubling ``'`` is the whole of quoting a string literal. Decode errors, rare and holding
arbitrary bytes and text, go through psycopg2's adaptation.
"""

from collections.abc import Callable

import orjson
from psycopg2.extensions import AsIs

from tart.db import EVENTS_CHANNEL
from tart.db.literals import text
from tart.ingest.items import Event, Undecodable
from tart.protocol import JAM_COMMON_ERA

# pg_advisory_xact_lock key shared by every ingest writer ("TART" + 1). Holding it from the
# first id to commit makes batches commit in id order, across ingest processes too.
WRITERS_LOCK = 0x54415254_01

# A writer's gates are advisory locks (its key, n % GATES): batch n, on lane n % LANES, takes
# gate n + LANES for that lane's next batch, and batch n + 1 must have passed gate n before then.
# Three lanes, so that two batches can wait at their gates while one inserts: with two, the
# lane whose commit has just come back had to build and send its next batch within the other
# batch's insert, and under load PostgreSQL was often left waiting for it.
LANES = 3
GATES = 2 * LANES

# Node timestamps after 9999-12-31 have no timestamptz; their events.timestamp is NULL.
_MAX_UNIX = 253402300799
_JAM_EPOCH_UNIX = JAM_COMMON_ERA.timestamp()

EVENT_TEMPLATE = "%s"  # each row arrives rendered by event_values
_INSERT_ERRORS = (
    "INSERT INTO decode_errors (node_id, session_id, event_id, discriminator, event_name, raw,"
    " field_path, byte_offset, reason, received_at) VALUES "
)
_ERROR_TEMPLATE = "(%s, %s, %s, %s, %s, %s, %s, %s, %s, to_timestamp(%s))"
# The undecodable frames of identified nodes, counted by node, kind and failure as they are
# stored (schema/020_conformance.sql keeps 500 characters of a reason), in key order so that
# two writers adding to the same rows cannot deadlock.
_COUNT_ERRORS = (
    " RETURNING id, node_id, discriminator, field_path, byte_offset, left(reason, 500) AS reason)"
    " INSERT INTO conformance_errors AS c (node_id, discriminator, field_path, byte_offset,"
    " reason, count, first_error_id)"
    " SELECT node_id, discriminator, field_path, byte_offset, reason, count(*), min(id)"
    " FROM stored WHERE node_id IS NOT NULL"
    " GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"
    " ON CONFLICT (node_id, discriminator, field_path, byte_offset, reason)"
    " DO UPDATE SET count = c.count + EXCLUDED.count"
)


def wait_at_gate(key: int, number: int) -> str:
    """Batch `number` waits until batch number - 1 has inserted its rows (a SELECT list)."""
    gate = (number - 1) % GATES
    return f"pg_advisory_lock({key},{gate}), pg_advisory_unlock({key},{gate})"


def insert_events(wait: str | None) -> str:
    """The INSERT of a batch's events (``VALUES %s`` for execute_values), which takes the
    writers' lock after `wait`, if any, and NOTIFYs the range of ids it gave them."""
    turn = ", ".join(filter(None, [wait, f"pg_advisory_xact_lock({WRITERS_LOCK})"]))
    # Joined with the rows, the turn is taken before the first row takes an id.
    return (
        f"WITH turn AS MATERIALIZED (SELECT {turn}),"
        " inserted AS (INSERT INTO events (node_id, session_id, event_id, event_type,"
        " node_timestamp, timestamp, created_at, data)"
        " SELECT batch.* FROM turn, (VALUES %s) AS batch RETURNING id)"
        f" SELECT pg_notify('{EVENTS_CHANNEL}', min(id) || ',' || max(id)) FROM inserted"
    )


def open_gate(key: int, number: int) -> str:
    """Batch `number` lets the next batch go, and closes the gate of its lane's next batch."""
    return (
        f"SELECT pg_advisory_unlock({key},{number % GATES}),"
        f" pg_advisory_lock({key},{(number + LANES) % GATES})"
    )


def close_gate(key: int, number: int) -> str:
    """Hold gate `number` (and no other): on a new connection, and after a failed batch, whose
    statements may or may not have reached open_gate."""
    return f"SELECT pg_advisory_unlock_all(), pg_advisory_lock({key},{number % GATES})"


def start_progress(key: int, lane: int) -> str:
    """Make sure the lane has its row in writer_progress (a new lane starts at token 0)."""
    return (
        f"INSERT INTO writer_progress (writer, lane, token) VALUES ({key},{lane},0)"
        " ON CONFLICT (writer, lane) DO NOTHING"
    )


def mark_progress(key: int, lane: int, token: int) -> str:
    """Record in a commit's own transaction that commit `token` of this lane happened, so
    that after a lost connection the writer can tell whether the commit it sent went through."""
    return (
        f"UPDATE writer_progress SET token = {token}, updated_at = now()"
        f" WHERE writer = {key} AND lane = {lane}"
    )


def progress(key: int, lane: int) -> str:
    """The token of the lane's last commit."""
    return f"SELECT token FROM writer_progress WHERE writer = {key} AND lane = {lane}"


def end_backend(pid: int) -> str:
    """End the server process of a connection that was lost, if it is still there (a frozen
    server, a network cut), and tell whether it is gone: only then has its transaction
    ended one way or the other."""
    return (
        f"SELECT count(pg_terminate_backend(pid)) = 0 FROM pg_stat_activity"
        f" WHERE pid = {pid} AND usename = current_user"
    )


def errors_sql(errors: list[Undecodable], mogrify: Callable) -> str:
    """The INSERT of undecodable frames, and of their counts in conformance_errors."""
    values = ",".join(mogrify(_ERROR_TEMPLATE, _error_row(item)).decode() for item in errors)
    return f"WITH stored AS ({_INSERT_ERRORS}{values}{_COUNT_ERRORS}"


def event_values(event: Event) -> AsIs:
    """One events row, as the SQL ``(…)`` of its values."""
    session = event.session
    unix = event.timestamp / 1e6 + _JAM_EPOCH_UNIX
    # NULL is typed: in a batch with no other row to type its column it would be text.
    node_time = f"to_timestamp({unix!r})" if unix <= _MAX_UNIX else "NULL::timestamptz"
    data = text(orjson.dumps(event.data).decode())
    # In a VALUES list an untyped literal would be text, which the column does not take.
    return AsIs(
        f"({text(session.node_id)},{session.id},{event.event_id},{event.discriminator},"
        f"{event.timestamp},{node_time},to_timestamp({event.received!r}),{data}::jsonb)"
    )


def _error_row(item):
    error = item.error
    return (
        item.session.node_id,
        item.session.id,
        item.event_id,
        error.discriminator,
        error.event_name,
        item.frame,
        error.field_path,
        error.offset,
        error.reason,
        item.received,
    )
