"""The analytics endpoints read the event counts, nodes and an index of decode_errors: none of
their statements scans events or decode_errors, however many rows those hold."""

import json
import time

import pytest

from tart.db.connect import connect
from tart.web import db
from tests.support.plans import load_rows, recorded_statements, scanned_tables


@pytest.fixture
def loaded(rows):
    return load_rows(rows)


def test_no_analytics_statement_scans_raw_rows(client, loaded, rows, database_url, monkeypatch):
    node = loaded[3]
    # Decode errors of days ago, as most are: health's window holds few of them.
    rows.sql("UPDATE decode_errors SET received_at = received_at - interval '2 days'")
    rows.sql("VACUUM ANALYZE decode_errors")
    urls = [
        "/api/analytics/timeseries",
        "/api/analytics/timeseries?by=node&event_type=11,62",
        f"/api/analytics/timeseries?by=implementation&node_id={node}",
        f"/api/analytics/timeseries?from={int(time.time()) - 100 * 86400}&step=86400",
        "/api/analytics/node-counts?event_type=42",
        "/api/analytics/node-counts",
        "/api/analytics/nodes-behind",
        "/api/analytics/stale-nodes",
        "/api/analytics/implementations",
        "/api/analytics/health",
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
                raw = {t for t in scanned if t.startswith("events") or t == "decode_errors"}
                assert not raw, f"{sql} scans {raw}:\n{json.dumps(plan, indent=1)}"
    finally:
        conn.close()
