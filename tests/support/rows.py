"""Rows written straight into the database as ingest writes them, for the API's tests."""

from datetime import UTC, datetime, timedelta

from psycopg2.extras import Json, execute_values

from tart.db import EVENTS_CHANNEL
from tart.db.connect import connect

# The time the rows are written with; one value for the whole test session.
NOW = datetime.now(UTC).replace(microsecond=0)
# Two nodes' ids for tests that need a node or two.
NODE_A, NODE_B = "a1" * 32, "b2" * 32


class Rows:
    def __init__(self, url):
        self.conn = connect(url)
        self.conn.autocommit = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.conn.close()

    def sql(self, statement, params=()):
        with self.conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall() if cur.description else None

    def node(self, node_id, name="polkajam", version="0.1.0", connected=True, **columns):
        values = {
            "node_id": node_id,
            "implementation_name": name,
            "implementation_version": version,
            "gp_version": "0.7.1",
            "note": "",
            "flags": 1,
            "genesis": "0x" + "11" * 32,
            "params": Json({"core_count": 2, "layout": "0.7"}),
            "peer_address": Json({"address": "127.0.0.1", "port": 30333}),
            "protocol_version": 0,
            "connected_at": NOW - timedelta(minutes=5),
            "last_seen_at": NOW,
            "active_sessions": 1 if connected else 0,
            "disconnected_at": None if connected else NOW,
            **columns,
        }
        names = ", ".join(values)
        self.sql(
            f"INSERT INTO known_nodes ({names}) VALUES ({', '.join(['%s'] * len(values))})",
            tuple(values.values()),
        )
        (session_id,) = self.sql(
            "INSERT INTO sessions (node_id, remote_address, protocol_version, closed_at,"
            " implementation_name, implementation_version, last_seen_at)"
            " VALUES (%s, '127.0.0.1:50000', 0, %s, %s, %s, %s) RETURNING id",
            (node_id, None if connected else NOW, name, version, values["last_seen_at"]),
        )[0]
        return session_id

    def events(self, node_id, session_id, kinds, start_event_id=0, node_time=NOW):
        """Store one event per (event_type, data) in `kinds`; return their ids in order."""
        with self.conn.cursor() as cur:
            rows = execute_values(
                cur,
                "INSERT INTO events (node_id, session_id, event_id, event_type, node_timestamp, "
                "timestamp, data) VALUES %s RETURNING id",
                [
                    (node_id, session_id, start_event_id + n, event_type, 0, node_time, Json(data))
                    for n, (event_type, data) in enumerate(kinds)
                ],
                fetch=True,
            )
            cur.execute(
                "UPDATE known_nodes SET event_count = event_count + %s WHERE node_id = %s;"
                " UPDATE sessions SET events_stored = events_stored + %s WHERE id = %s",
                (len(kinds), node_id, len(kinds), session_id),
            )
            if rows:  # as the ingest writer announces its commits
                cur.execute(
                    "SELECT pg_notify(%s, %s)", (EVENTS_CHANNEL, f"{rows[0][0]},{rows[-1][0]}")
                )
            cur.execute("SELECT tart_fold_event_counts()")  # as ingest does within a second
        return [row[0] for row in rows]

    def ingest_stats(self, process_id, counters, age_seconds=0):
        self.sql(
            "INSERT INTO ingest_stats (process_id, host, pid, started_at, updated_at, "
            "counters) VALUES (%s, 'test', 1, now(), now() - make_interval(secs => %s), %s) "
            "ON CONFLICT (process_id) DO UPDATE SET counters = EXCLUDED.counters, "
            "updated_at = EXCLUDED.updated_at",
            (process_id, age_seconds, Json(counters)),
        )


def best_block(slot):
    return 11, {"BestBlockChanged": {"slot": slot, "hash": "0x" + f"{slot:064x}"}}


def authored(slot):
    return 42, {"Authored": {"authoring_id": slot, "outline": {"size": 100}}}
