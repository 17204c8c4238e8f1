"""The analytics endpoints read the event counts, nodes and an index of decode_errors: none of
their statements scans events or decode_errors, however many rows those hold."""

import time

import pytest

from tests.support.plans import load_rows, raw_scans


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
    assert raw_scans(client, urls, database_url, monkeypatch) == []
