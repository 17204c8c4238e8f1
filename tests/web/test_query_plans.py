"""Every statement the API runs walks an index of `events` and `decode_errors`, never scans them.

The statements are recorded while the endpoints answer, then explained as the web pool runs
them (prepared ones with their generic plan) on a database with enough rows, spread over two
daily partitions, for the planner to prefer scans where an index would not help.
"""

import contextlib
import json

import pytest

from tart.db.connect import connect
from tart.web import db

NODES = 20
EVENTS = 60_000
# A validator's mix, roughly: many announcements, some blocks, a rare Authored (42).
TYPES = [62] * 30 + [10] * 5 + [11] * 2 + [12] * 2 + [90] * 10 + [101] * 10 + [42]


@pytest.fixture
def loaded(rows):
    node_ids = [f"{n:02x}" * 32 for n in range(NODES)]
    for node_id in node_ids:
        rows.node(node_id)
    rows.sql(
        "INSERT INTO events (node_id, session_id, event_id, event_type, node_timestamp, "
        "timestamp, created_at, data) "
        "SELECT n.node_id, s.id, g, (%s::smallint[])[1 + g %% %s], 0, now(), "
        "date_trunc('day', now()) - interval '1 day' + g * interval '2 days' / %s, "
        "'{\"Status\": {}}' FROM generate_series(0, %s - 1) g "
        "JOIN (SELECT node_id, row_number() OVER (ORDER BY node_id) - 1 AS position FROM nodes) n "
        "ON n.position = g %% %s JOIN sessions s ON s.node_id = n.node_id",
        (TYPES, len(TYPES), EVENTS, EVENTS, NODES),
    )
    rows.sql(
        "INSERT INTO decode_errors (node_id, session_id, raw, reason) "
        "SELECT node_id, id, '\\x00', 'bad' FROM sessions, generate_series(1, 500)"
    )
    rows.sql("UPDATE nodes SET event_count = %s", (EVENTS // NODES,))
    rows.sql("VACUUM ANALYZE")
    return node_ids


@contextlib.contextmanager
def recorded_statements(monkeypatch):
    statements = []
    execute, execute_prepared = db._Session.execute, db._Session.execute_prepared

    def record(prepared, run):
        def recording(session, sql, args):
            statements.append((prepared, sql, args))
            return run(session, sql, args)

        return recording

    monkeypatch.setattr(db._Session, "execute", record(False, execute))
    monkeypatch.setattr(db._Session, "execute_prepared", record(True, execute_prepared))
    yield statements


def scanned_tables(plan) -> set[str]:
    found = set()
    if plan["Node Type"] == "Seq Scan":
        found.add(plan["Relation Name"])
    for child in plan.get("Plans", ()):
        found |= scanned_tables(child)
    return found


def test_every_api_statement_walks_indexes(client, loaded, database_url, monkeypatch):
    node, other = loaded[3], loaded[4]
    urls = [
        "/api/nodes",
        f"/api/nodes/{node}",
        f"/api/nodes/{node}/events?limit=100",
        f"/api/nodes/{node}/events?event_type=42",
        "/api/events?limit=100",
        "/api/events?before_id=30000",
        "/api/events?since_id=30000",
        "/api/events?event_type=42",
        "/api/events?event_type=11,12,42",
        f"/api/events?node_id={node}",
        "/api/events?node_id=0",
        f"/api/events?node_id={node}&event_type=11",
        "/api/events?event_type=" + ",".join(str(t) for t in range(20)),
        f"/api/nodes/{node}/errors",
        f"/api/nodes/{other}/errors?before_id=1000",
        "/api/events?limit=10&offset=1000",
        "/api/events?event_type=11,12&offset=100",
        "/api/events?since_id=0&since=2000-01-01T00:00:00Z&until=2100-01-01",
        "/api/events?event_type=90-113",
        "/api/errors",
        "/api/errors?since_id=1000",
        f"/api/errors?node_id={node}",
        "/api/errors?node_id=0",
        "/api/errors?session=5",
        "/api/sessions",
        f"/api/sessions?node_id={node}",
        "/api/stats",
        "/api/health/detailed",
        "/metrics",
    ]
    with recorded_statements(monkeypatch) as statements:
        for url in urls:
            assert client.get(url).status_code == 200, url
    assert len(statements) >= len(urls)
    conn = connect(
        database_url,
        options=" ".join(f"-c {name}={value}" for name, value in db.SESSION_SETTINGS.items()),
    )
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            # Scanning a partition that holds nothing yet (tomorrow's) costs nothing.
            cur.execute("SELECT relname FROM pg_class WHERE relkind = 'r' AND relpages = 0")
            empty = {name for (name,) in cur.fetchall()}
            for number, (prepared, sql, args) in enumerate(statements):
                if prepared:
                    cur.execute(f"PREPARE explained_{number} AS {sql}")
                    placeholders = ", ".join(["%s"] * len(args))
                    cur.execute(
                        f"EXPLAIN (FORMAT JSON) EXECUTE explained_{number}"
                        f"{f'({placeholders})' if args else ''}",
                        args,
                    )
                else:
                    cur.execute(f"EXPLAIN (FORMAT JSON) {sql}", args)
                (plan,) = cur.fetchone()[0]
                scanned = scanned_tables(plan["Plan"])
                big = {t for t in scanned - empty if t.startswith("events") or t == "decode_errors"}
                assert not big, f"{sql} scans {big}:\n{json.dumps(plan, indent=1)}"
    finally:
        conn.close()
