"""Every statement the API runs walks an index of `events` and `decode_errors`, never scans them.

The statements are recorded while the endpoints answer, then explained as the web pool runs
them (prepared ones with their generic plan) on a database with enough rows, spread over two
daily partitions, for the planner to prefer scans where an index would not help.
"""

import json

import pytest

from tart.db.connect import connect
from tart.web import db
from tests.support.plans import load_rows, recorded_statements, scanned_tables


@pytest.fixture
def loaded(rows):
    return load_rows(rows)


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
