"""A writer batch as one SQL transaction, sent in one round trip.

The writer's connection is in autocommit mode and sends each batch as a single multi-statement
query, which PostgreSQL runs as one implicit transaction: take the writers' advisory lock, insert
the events (ids from the sequence, in order) and NOTIFY their id range, insert the undecodable
frames, add to the sessions' and nodes' counters. One round trip matters because the writer is a
greenlet: each wait for the database costs it a turn behind every connection greenlet.

Event rows and counter rows are written as SQL literals here rather than by psycopg2's per-row
adaptation, which costs ~20 µs a row, most of the writer's CPU: their values are integers,
floats, hex strings and JSON text, and with standard_conforming_strings on (the writer sets it)
doubling ``'`` is the whole of quoting a string literal. Decode errors, rare and holding
arbitrary bytes and text, go through psycopg2's adaptation.
"""
import orjson
from psycopg2.extensions import AsIs

# pg_advisory_xact_lock key shared by every ingest writer ("TART" + 1). Holding it from the
# first id to commit makes batches commit in id order, across ingest processes too.
WRITERS_LOCK = 0x54415254_01

# Node timestamps after 9999-12-31 have no timestamptz; their node_time is NULL.
_MAX_UNIX = 253402300799
_JAM_EPOCH_UNIX = 1735732800

INSERT_EVENTS = (
    f"SELECT pg_advisory_xact_lock({WRITERS_LOCK});"
    " WITH inserted AS (INSERT INTO events (node_id, session_id, event_id, event_type,"
    " node_timestamp, node_time, received_at, data) VALUES %s RETURNING id)"
    " SELECT pg_notify('tart_events', min(id) || ',' || max(id)) FROM inserted")
EVENT_TEMPLATE = "%s"  # each row arrives rendered by event_values
_INSERT_ERRORS = (
    "INSERT INTO decode_errors (node_id, session_id, event_id, discriminator, event_name, raw,"
    " field_path, byte_offset, reason, received_at) VALUES ")
_ERROR_TEMPLATE = "(%s, %s, %s, %s, %s, %s, %s, %s, %s, to_timestamp(%s))"
# Every transaction touching both locks sessions, then nodes, each in key order; the session
# store's transactions do too, so none of them can deadlock.
_UPDATE_SESSIONS = (
    "SELECT FROM sessions WHERE id = ANY('{{{ids}}}'::bigint[]) ORDER BY id FOR UPDATE;"
    " UPDATE sessions AS s SET events_stored = s.events_stored + v.stored,"
    " events_undecodable = s.events_undecodable + v.undecodable"
    " FROM (VALUES {values}) AS v (id, stored, undecodable) WHERE s.id = v.id")
_UPDATE_NODES = (
    "SELECT FROM nodes WHERE node_id = ANY('{{{ids}}}'::text[]) ORDER BY node_id FOR UPDATE;"
    " UPDATE nodes AS n SET event_count = n.event_count + v.stored,"
    " last_seen_at = greatest(n.last_seen_at, to_timestamp(v.seen)),"
    " best_slot = coalesce(v.best_slot, n.best_slot),"
    " best_hash = coalesce(v.best_hash, n.best_hash),"
    " finalized_slot = coalesce(v.finalized_slot, n.finalized_slot),"
    " finalized_hash = coalesce(v.finalized_hash, n.finalized_hash)"
    " FROM (VALUES {values}) AS v (node_id, stored, seen, best_slot, best_hash, finalized_slot,"
    " finalized_hash) WHERE n.node_id = v.node_id")


def event_values(event):
    """One events row, as the SQL ``(…)`` of its values."""
    session = event.session
    unix = event.timestamp / 1e6 + _JAM_EPOCH_UNIX
    node_time = f"to_timestamp({unix!r})" if unix <= _MAX_UNIX else "NULL"
    data = orjson.dumps(event.data).decode().replace("'", "''")
    return AsIs(f"('{session.node_id}',{session.id},{event.event_id},{event.discriminator},"
                f"{event.timestamp},{node_time},to_timestamp({event.received!r}),'{data}')")


def counters_sql(events, errors, mogrify):
    """The statements after the events insert: decode errors and counters, ``;``-separated."""
    nodes, sessions = {}, {}
    for event in events:
        _count_event(nodes, sessions, event)
    for item in errors:
        sessions.setdefault(item.session.id, [0, 0])[1] += 1
    statements = []
    if errors:
        statements.append(_INSERT_ERRORS + ",".join(
            mogrify(_ERROR_TEMPLATE, _error_row(item)).decode() for item in errors))
    if sessions:
        ids = sorted(sessions)
        statements.append(_UPDATE_SESSIONS.format(
            ids=",".join(map(str, ids)),
            values=",".join(f"({i},{sessions[i][0]},{sessions[i][1]})" for i in ids)))
    if nodes:
        ids = sorted(nodes)
        statements.append(_UPDATE_NODES.format(
            ids=",".join(ids), values=",".join(_node_values(i, *nodes[i]) for i in ids)))
    return ";".join(statements)


def _count_event(nodes, sessions, event):
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


def _node_values(node_id, stored, seen, best_slot, best_hash, finalized_slot, finalized_hash):
    return (f"('{node_id}',{stored},{seen!r},{_int(best_slot)}::bigint,{_hex(best_hash)}::text,"
            f"{_int(finalized_slot)}::bigint,{_hex(finalized_hash)}::text)")


def _int(value):
    return "NULL" if value is None else str(value)


def _hex(value):
    # Hashes come from the decoder as '0x' and hex digits only.
    return "NULL" if value is None else f"'{value}'"


def _error_row(item):
    error = item.error
    return (item.session.node_id, item.session.id, item.event_id, error.discriminator,
            error.event_name, item.frame, error.field_path, error.offset, error.reason,
            item.received)
