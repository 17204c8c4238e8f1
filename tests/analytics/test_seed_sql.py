"""The seed README's "PostgreSQL Direct Access" queries, as written, on what `tart loadgen` sent
through a real `tart ingest`: they run, and their figures are what they claim to be."""

from tests.support.ingest import query, running_ingest, wait_for_rows
from tests.support.loadgen import loadgen, sent_per_node
from tests.support.node import TelemetryNode, best_block, peer_id

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
# A node that connects, disconnects and reconnects: (implementation name, version, events sent)
# per connection. Its second upgrade renamed the implementation.
CONNECTIONS = [("polkajam", "0.1.0", 3), ("polkajam", "0.2.0", 4), ("polkajam-ng", "0.3.0", 5)]


def reconnect(database_url, port):
    """Make CONNECTIONS one after the other, each closed once its events are stored; return
    the node's id."""
    peer = peer_id("reconnecting")
    stored = 0
    for made, (name, version, events) in enumerate(CONNECTIONS, 1):
        with TelemetryNode("127.0.0.1", port, peer=peer, name=name, version=version) as node:
            for slot in range(events):
                node.send(best_block(slot))
        stored += events
        wait_for_rows(
            database_url,
            "SELECT (count(*) FILTER (WHERE closed_at IS NOT NULL), sum(events_stored)::int)::text"
            " FROM sessions WHERE node_id = %s",
            f"({made},{stored})",
            params=(peer[2:],),
        )
    return peer[2:]


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
        reconnected = reconnect(database_url, port)
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

    # One row per node and implementation name: its connections, events and last activity.
    history = query(database_url, NODE_CONNECTION_HISTORY)
    loadgen_nodes = [row for row in history if row[0] != reconnected]
    assert {row[0]: row[3] for row in loadgen_nodes} == sent
    assert {(row[1], row[2]) for row in loadgen_nodes} == {("tart-loadgen", 1)}
    assert {row[1]: row[2:4] for row in history if row[0] == reconnected} == {
        "polkajam": (2, 7),
        "polkajam-ng": (1, 5),
    }
    assert [row[3] for row in history] == sorted((row[3] for row in history), reverse=True)
    # Each node's rows add up to its row in known_nodes, and to its connections.
    per_node = {}
    for node_id, _, connections, events, last_active in history:
        totals = per_node.setdefault(node_id, [0, 0, last_active])
        totals[0] += connections
        totals[1] += events
        totals[2] = max(totals[2], last_active)
    assert per_node == {
        node_id: [connections, events, last_seen_at]
        for node_id, connections, events, last_seen_at in query(
            database_url,
            "SELECT node_id, (SELECT count(*) FROM sessions s WHERE s.node_id = n.node_id),"
            " event_count, last_seen_at FROM known_nodes n",
        )
    }

    hourly = query(database_url, EVENTS_PER_NODE_PER_HOUR)
    raw_hourly = query(
        database_url,
        "SELECT date_trunc('hour', created_at, 'UTC'), node_id, count(*) FROM events GROUP BY 1, 2",
    )
    assert {(h, n): e for h, n, e in hourly} == {(h, n): e for h, n, e in raw_hourly}
    reconnected_events = sum(events for _, _, events in CONNECTIONS)
    assert sum(row[2] for row in hourly) == sum(sent.values()) + reconnected_events

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
