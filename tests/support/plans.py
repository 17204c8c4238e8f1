"""Query plans: a database with enough rows for the planner to prefer scans where an index would
not help, the statements the web pool runs, and the tables a plan scans."""

import contextlib

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
