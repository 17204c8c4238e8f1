"""The seed README's "PostgreSQL Direct Access" queries, as written, on what `tart loadgen` sent
through a real `tart ingest`: they run, and their figures are what they claim to be."""

from tests.support.ingest import query, running_ingest, wait_for_rows
from tests.support.loadgen import loadgen, sent_per_node

# Copied verbatim from the seed README (tart-backend README, "PostgreSQL Direct Access").
EVENT_COUNTS_BY_TYPE = """
SELECT
    event_type,
    COUNT(*) as count,
    MIN(timestamp) as first_seen,
    MAX(timestamp) as last_seen
FROM events
WHERE created_at > NOW() - INTERVAL '1 hour'
GROUP BY event_type
ORDER BY count DESC;
"""
NODE_CONNECTION_HISTORY = """
SELECT
    node_id,
    implementation_name,
    COUNT(*) as connection_count,
    SUM(event_count) as total_events,
    MAX(last_seen_at) as last_active
FROM nodes
GROUP BY node_id, implementation_name
ORDER BY total_events DESC;
"""
EVENTS_PER_NODE_PER_HOUR = """
SELECT
    hour,
    node_id,
    SUM(event_count) as events
FROM event_stats_hourly
WHERE hour > NOW() - INTERVAL '24 hours'
GROUP BY hour, node_id
ORDER BY hour DESC, events DESC;
"""
HIGH_ERROR_RATES = """
SELECT
    node_id,
    COUNT(*) FILTER (WHERE event_type IN (41, 44, 46, 92)) as error_events,
    COUNT(*) as total_events,
    ROUND(100.0 * COUNT(*) FILTER (WHERE event_type IN (41, 44, 46, 92)) / COUNT(*), 2) as error_rate_pct
FROM events
WHERE created_at > NOW() - INTERVAL '1 hour'
GROUP BY node_id
HAVING COUNT(*) FILTER (WHERE event_type IN (41, 44, 46, 92)) > 10
ORDER BY error_rate_pct DESC;
"""  # noqa: E501
NODES = 8
FRAMES = 400  # per node: over three rounds of the `all` mix, which sends every event kind


def test_the_seed_queries_run_as_written_and_mean_what_they_say(database_url, tmp_path):
    summary = tmp_path / "summary.json"
    with running_ingest(database_url) as (_, port, _):
        result = loadgen(
            port, "--nodes", str(NODES), "--count", str(FRAMES), "--rate", "400", "--mix", "all",
            "--summary-json", summary,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        sent = sent_per_node(summary)
        wait_for_rows(database_url, "SELECT count(*) FROM events", sum(sent.values()))
        wait_for_rows(
            database_url, "SELECT sum(event_count)::int FROM known_nodes", sum(sent.values())
        )
    assert len(sent) == NODES

    by_type = query(database_url, EVENT_COUNTS_BY_TYPE)
    raw = query(
        database_url,
        "SELECT event_type, count(*), min(node_timestamp), max(node_timestamp) FROM events"
        " GROUP BY 1",
    )
    assert {row[0]: row[1] for row in by_type} == {row[0]: row[1] for row in raw}
    assert [row[1] for row in by_type] == sorted((row[1] for row in by_type), reverse=True)
    for _, _, first_seen, last_seen in by_type:  # the nodes' own times of the events
        assert first_seen <= last_seen

    history = query(database_url, NODE_CONNECTION_HISTORY)
    assert {row[0]: row[3] for row in history} == sent
    assert {row[1] for row in history} == {"tart-loadgen"}
    # One row per node: connections are in `sessions` (see the README's SQL section).
    assert {row[2] for row in history} == {1}

    hourly = query(database_url, EVENTS_PER_NODE_PER_HOUR)
    raw_hourly = query(
        database_url,
        "SELECT date_trunc('hour', created_at, 'UTC'), node_id, count(*) FROM events GROUP BY 1, 2",
    )
    assert {(h, n): e for h, n, e in hourly} == {(h, n): e for h, n, e in raw_hourly}
    assert sum(row[2] for row in hourly) == sum(sent.values())

    errors = query(database_url, HIGH_ERROR_RATES)
    failures = dict(
        query(
            database_url,
            "SELECT node_id, sum(event_count) FROM event_stats_hourly"
            " WHERE event_type IN (41, 44, 46, 92) GROUP BY 1",
        )
    )
    assert {row[0] for row in errors} == set(sent)
    for node_id, error_events, total_events, rate in errors:
        assert (error_events, total_events) == (failures[node_id], sent[node_id])
        assert float(rate) == round(100 * error_events / total_events, 2)
