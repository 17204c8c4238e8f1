"""The PostgreSQL ceiling: the rows ingest writes, written by a plain script as fast as it can.

The rows are the loadgen's own events (same mix, same simulated nodes, decoded by the codec as
ingest decodes them), written into the same partitioned, indexed table, in transactions of
TART_BATCH_SIZE rows that do what each ingest batch does besides the insert: take the writers'
advisory lock, allocate the ids and NOTIFY; and, as the ingest writer does, add to every node's
and session's counters once a second (tart/ingest/counters.py). All rows are made before the
clock starts; only the database work is timed. The connection commits asynchronously, as the
ingest writer's does.
"""

import io
import math
import time
from datetime import UTC, datetime

import orjson
from psycopg2.extras import execute_values

from tart.db import EVENTS_CHANNEL
from tart.db.connect import connect
from tart.ingest.batch import WRITERS_LOCK
from tart.ingest.counters import BEST_BLOCK_CHANGED, FINALIZED_BLOCK_CHANGED
from tart.loadgen.frames import DISCRIMINATOR_IN_FRAME
from tart.loadgen.runner import LoadGenerator, Plan, jam_now
from tart.protocol import JAM_COMMON_ERA, EventDecoder, EventNumbering

_COLUMNS = "node_id, session_id, event_id, event_type, node_timestamp, timestamp, created_at, data"
_INSERT = f"INSERT INTO events (id, {_COLUMNS}) VALUES %s"
_ROW_TEMPLATE = "(%s, %s, %s, %s, %s, %s, to_timestamp(%s), to_timestamp(%s), %s)"
_COPY = f"COPY events ({_COLUMNS}) FROM STDIN"
_UPDATE_NODES = (
    "UPDATE known_nodes AS n SET event_count = n.event_count + v.stored,"
    " last_seen_at = greatest(n.last_seen_at, to_timestamp(v.seen)),"
    " best_slot = coalesce(v.best_slot, n.best_slot),"
    " best_hash = coalesce(v.best_hash, n.best_hash),"
    " finalized_slot = coalesce(v.finalized_slot, n.finalized_slot),"
    " finalized_hash = coalesce(v.finalized_hash, n.finalized_hash)"
    " FROM (VALUES %s) AS v (node_id, stored, seen, best_slot, best_hash, finalized_slot,"
    " finalized_hash) WHERE n.node_id = v.node_id"
)
_NODE_TEMPLATE = "(%s, %s, %s, %s::bigint, %s, %s::bigint, %s)"
_UPDATE_SESSIONS = (
    "UPDATE sessions AS s SET events_stored = s.events_stored + v.stored"
    " FROM (VALUES %s) AS v (id, stored) WHERE s.id = v.id"
)
_JAM_EPOCH_UNIX = JAM_COMMON_ERA.timestamp()
WRITER_SYNCHRONOUS_COMMIT = "off"
COUNTERS_INTERVAL = 1.0  # seconds, as tart.ingest.counters.COUNTERS_INTERVAL


class _Batch:
    __slots__ = ("copy_text", "nodes", "rows", "sessions")


def loadgen_events(mix, nodes, per_node):
    """The first `per_node` events each simulated node of the loadgen sends with `mix`, decoded:
    (node_ids, [(event_id, discriminator, timestamp, data)])."""
    generator = LoadGenerator(Plan(nodes=nodes, mix=mix))
    data, _ = generator.cycle.stream().take(per_node, jam_now())
    decoder, numbering = EventDecoder(0, generator.plan.core_count), EventNumbering()
    events, offset = [], 0
    while offset < len(data):
        size = int.from_bytes(data[offset : offset + 4], "little")
        assert data[offset + DISCRIMINATOR_IN_FRAME] != 0xFF
        event = decoder.decode(data[offset + 4 : offset + 4 + size])
        events.append(
            (numbering.assign(event.dropped), event.discriminator, event.timestamp, event.data)
        )
        offset += 4 + size
    return [node.node_id for node in generator.nodes], events


class Baseline:
    """`rows` events of `nodes` nodes (round robin, as they arrive together), in batches."""

    def __init__(self, url, mix, nodes, rows, batch_size):
        self.url = url
        self.rows = rows
        self.batch_size = batch_size
        node_ids, events = loadgen_events(mix, nodes, math.ceil(rows / nodes))
        sessions = self._open_sessions(node_ids)
        received = time.time()
        flat = [(node_id, sessions[node_id], event) for event in events for node_id in node_ids]
        self.batches = [
            self._batch(flat[start : start + batch_size], received)
            for start in range(0, rows, batch_size)
        ]

    def execute_values(self):
        """Rows/s inserted with execute_values, ids allocated as ingest allocates them."""

        def write(cur, batch):
            count = len(batch.rows)
            cur.execute(
                "SELECT pg_advisory_xact_lock(%s);"
                " SELECT setval('events_id_seq', nextval('events_id_seq') + %s - 1)",
                (WRITERS_LOCK, count),
            )
            first = cur.fetchone()[0] - count + 1
            execute_values(
                cur,
                _INSERT,
                [(number, *row) for number, row in enumerate(batch.rows, first)],
                template=_ROW_TEMPLATE,
                page_size=count,
            )
            return first

        return self._timed(write)

    def copy(self):
        """Rows/s inserted with COPY; ids from the column default while holding the lock, which
        orders them just as well."""

        def write(cur, batch):
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (WRITERS_LOCK,))
            cur.copy_expert(_COPY, io.StringIO(batch.copy_text))
            cur.execute("SELECT currval('events_id_seq')")
            return cur.fetchone()[0] - len(batch.rows) + 1

        return self._timed(write)

    def data_size(self):
        """Average stored size of `data` (bytes), to compare with what ingest stored."""
        return _scalar(self.url, "SELECT avg(pg_column_size(data))::float FROM events")

    def _timed(self, write):
        conn = connect(self.url)
        try:
            with conn, conn.cursor() as cur:
                # As on ingest's connections (Ingest.connect in tart/ingest/server.py).
                cur.execute(f"SET synchronous_commit = {WRITER_SYNCHRONOUS_COMMIT}")
                cur.execute("TRUNCATE events")
            started = counted = time.perf_counter()
            nodes, sessions = {}, {}
            for number, batch in enumerate(self.batches, 1):
                _add_counts(nodes, sessions, batch)
                with conn.cursor() as cur:
                    first = write(cur, batch)
                    cur.execute(
                        "SELECT pg_notify(%s, %s)",
                        (EVENTS_CHANNEL, f"{first},{first + len(batch.rows) - 1}"),
                    )
                    if time.perf_counter() - counted >= COUNTERS_INTERVAL or number == len(
                        self.batches
                    ):
                        execute_values(
                            cur,
                            _UPDATE_NODES,
                            [(node_id, *counts) for node_id, counts in nodes.items()],
                            template=_NODE_TEMPLATE,
                            page_size=len(nodes),
                        )
                        execute_values(
                            cur, _UPDATE_SESSIONS, list(sessions.items()), page_size=len(sessions)
                        )
                        nodes, sessions, counted = {}, {}, time.perf_counter()
                conn.commit()
            seconds = time.perf_counter() - started
        finally:
            conn.close()
        stored = _scalar(self.url, "SELECT count(*) FROM events")
        assert stored == self.rows, f"{stored} rows stored, {self.rows} written"
        return {
            "rows": self.rows,
            "seconds": round(seconds, 3),
            "rows_per_second": round(self.rows / seconds),
        }

    def _open_sessions(self, node_ids):
        conn = connect(self.url)
        try:
            with conn, conn.cursor() as cur:
                execute_values(
                    cur,
                    "INSERT INTO known_nodes (node_id, active_sessions) VALUES %s",
                    [(node_id, 1) for node_id in node_ids],
                )
                rows = execute_values(
                    cur,
                    "INSERT INTO sessions (node_id, remote_address, protocol_version)"
                    " VALUES %s RETURNING node_id, id",
                    [(node_id, "127.0.0.1", 0) for node_id in node_ids],
                    fetch=True,
                )
            return dict(rows)
        finally:
            conn.close()

    @staticmethod
    def _batch(items, received):
        batch = _Batch()
        batch.rows, lines, nodes, sessions = [], [], {}, {}
        received_text = _iso(received)
        for node_id, session_id, (event_id, discriminator, timestamp, data) in items:
            node_time = timestamp / 1e6 + _JAM_EPOCH_UNIX
            text = orjson.dumps(data).decode()
            batch.rows.append(
                (node_id, session_id, event_id, discriminator, timestamp, node_time, received, text)
            )
            # COPY's text format: tab-separated, backslashes escaped.
            lines.append(
                "\t".join(
                    (
                        node_id,
                        str(session_id),
                        str(event_id),
                        str(discriminator),
                        str(timestamp),
                        _iso(node_time),
                        received_text,
                        text.replace("\\", "\\\\"),
                    )
                )
                + "\n"
            )
            node = nodes.setdefault(node_id, [0, received, None, None, None, None])
            node[0] += 1
            if discriminator == BEST_BLOCK_CHANGED:
                block = data["BestBlockChanged"]
                node[2], node[3] = block["slot"], block["hash"]
            elif discriminator == FINALIZED_BLOCK_CHANGED:
                block = data["FinalizedBlockChanged"]
                node[4], node[5] = block["slot"], block["hash"]
            sessions[session_id] = sessions.get(session_id, 0) + 1
        batch.copy_text = "".join(lines)
        batch.nodes = [(node_id, *values) for node_id, values in nodes.items()]
        batch.sessions = list(sessions.items())
        return batch


def _add_counts(nodes, sessions, batch):
    """Add a batch's counts to those not written yet (later blocks replace earlier ones)."""
    for node_id, stored, seen, best_slot, best_hash, finalized_slot, finalized_hash in batch.nodes:
        node = nodes.setdefault(node_id, [0, seen, None, None, None, None])
        node[0] += stored
        node[1] = max(node[1], seen)
        if best_slot is not None:
            node[2], node[3] = best_slot, best_hash
        if finalized_slot is not None:
            node[4], node[5] = finalized_slot, finalized_hash
    for session_id, stored in batch.sessions:
        sessions[session_id] = sessions.get(session_id, 0) + stored


def _iso(unix):
    return datetime.fromtimestamp(unix, UTC).isoformat()


def _scalar(url, sql):
    conn = connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchone()[0]
    finally:
        conn.close()
