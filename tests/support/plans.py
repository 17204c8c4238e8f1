"""Query plans: a database with enough rows for the planner to prefer scans where an index would
not help, the statements the web pool runs, and the tables a plan scans."""

import contextlib
import json

from tart.db.connect import connect
from tart.web import db

NODES = 20
EVENTS = 60_000
# A validator's mix, roughly: many announcements, some blocks, a rare Authored (42).
TYPES = [62] * 30 + [10] * 5 + [11] * 2 + [12] * 2 + [90] * 10 + [101] * 10 + [42]


def load_rows(rows) -> list[str]:
    """Nodes, events over two daily partitions and decode errors; the node ids."""
    node_ids = [f"{n:02x}" * 32 for n in range(NODES)]
    for node_id in node_ids:
        rows.node(node_id)
    rows.sql(
        "INSERT INTO events (node_id, session_id, event_id, event_type, node_timestamp, "
        "timestamp, created_at, data) "
        "SELECT n.node_id, s.id, g, (%s::smallint[])[1 + g %% %s], 0, now(), "
        "date_trunc('day', now()) - interval '1 day' + g * interval '2 days' / %s, "
        "'{\"Status\": {}}' FROM generate_series(0, %s - 1) g "
        "JOIN (SELECT node_id, row_number() OVER (ORDER BY node_id) - 1 AS position"
        " FROM known_nodes) n "
        "ON n.position = g %% %s JOIN sessions s ON s.node_id = n.node_id",
        (TYPES, len(TYPES), EVENTS, EVENTS, NODES),
    )
    rows.sql(
        "INSERT INTO decode_errors (node_id, session_id, raw, reason) "
        "SELECT node_id, id, '\\x00', 'bad' FROM sessions, generate_series(1, 500)"
    )
    rows.sql("UPDATE known_nodes SET event_count = %s", (EVENTS // NODES,))
    rows.sql("SELECT tart_fold_event_counts()")  # as ingest would within a second
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


def _raw(tables) -> set[str]:
    return {t for t in tables if t.startswith("events") or t == "decode_errors"}


def raw_scans(client, urls, database_url, monkeypatch, skip_empty=False) -> list[str]:
    """Answer `urls` with `client`, then explain every statement the web pool ran for them as
    it runs them (prepared ones with their generic plan): each that scans `events` (a
    partition) or `decode_errors`, with its plan. `skip_empty`: scanning a table that holds
    nothing yet (tomorrow's partition) costs nothing and is not counted."""
    with recorded_statements(monkeypatch) as statements:
        for url in urls:
            assert client.get(url).status_code == 200, url
    assert len(statements) >= len(urls)
    conn = connect(
        database_url,
        options=" ".join(f"-c {name}={value}" for name, value in db.SESSION_SETTINGS.items()),
    )
    conn.autocommit = True
    found = []
    try:
        with conn.cursor() as cur:
            empty = set()
            if skip_empty:
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
                scanned = _raw(scanned_tables(plan["Plan"]) - empty)
                if scanned:
                    found.append(f"{sql} scans {scanned}:\n{json.dumps(plan, indent=1)}")
    finally:
        conn.close()
    return found
