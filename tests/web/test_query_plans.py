"""Every statement the API runs walks an index of `events` and `decode_errors`, never scans them.

The statements are recorded while the endpoints answer, then explained as the web pool runs
them (prepared ones with their generic plan) on a database with enough rows, spread over two
daily partitions, for the planner to prefer scans where an index would not help.
"""

import pytest

from tests.support.plans import load_rows, raw_scans


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
    assert raw_scans(client, urls, database_url, monkeypatch, skip_empty=True) == []
