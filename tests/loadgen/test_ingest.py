"""`tart loadgen` against a real `tart ingest` and PostgreSQL: the tables hold what it sent."""

import json

from tests.support.ingest import query, running_ingest, wait_for_rows
from tests.support.loadgen import loadgen


def run_loadgen(port, summary_path, *options):
    result = loadgen(port, *options, "--summary-json", summary_path)
    assert result.returncode == 0, result.stderr
    return json.loads(summary_path.read_text())


def test_the_events_table_holds_what_each_node_sent(database_url, tmp_path):
    with running_ingest(database_url) as (_, port, _):
        summary = run_loadgen(
            port,
            tmp_path / "summary.json",
            "--nodes",
            "20",
            "--count",
            "200",
            "--rate",
            "1000",
            "--mix",
            "all",
        )
        wait_for_rows(database_url, "SELECT count(*) FROM events", 4000)
    sent = {node["node_id"]: node["events"] for node in summary["per_node"]}
    assert set(sent.values()) == {200}
    assert (
        dict(query(database_url, "SELECT node_id, count(*) FROM events GROUP BY node_id")) == sent
    )
    assert dict(query(database_url, "SELECT node_id, event_count FROM known_nodes")) == sent
    # Each cycle of the `all` mix (115 frames) leads with Dropped(3): frame 199 has ID 203.
    assert set(
        query(database_url, "SELECT min(event_id), max(event_id) FROM events GROUP BY session_id")
    ) == {(0, 203)}
    assert query(database_url, "SELECT count(*) FROM decode_errors") == [(0,)]


def test_garbage_reconnects_and_slow_nodes_are_all_accounted_for(database_url, tmp_path):
    with running_ingest(database_url) as (_, port, _):
        summary = run_loadgen(
            port,
            tmp_path / "summary.json",
            "--nodes",
            "5",
            "--duration",
            "1.5",
            "--rate",
            "200",
            "--mix",
            "pipeline",
            "--garbage-rate",
            "0.1",
            "--reconnect-every",
            "0.5",
            "--slow",
            "2",
        )
        wait_for_rows(database_url, "SELECT count(*) FROM events", summary["events"])
        wait_for_rows(database_url, "SELECT count(*) FROM decode_errors", summary["garbage"])
    per_node = summary["per_node"]
    assert summary["garbage"] > 0
    assert dict(query(database_url, "SELECT node_id, count(*) FROM events GROUP BY node_id")) == {
        node["node_id"]: node["events"] for node in per_node
    }
    assert dict(
        query(database_url, "SELECT node_id, count(*) FROM decode_errors GROUP BY node_id")
    ) == {node["node_id"]: node["garbage"] for node in per_node if node["garbage"]}
    assert dict(query(database_url, "SELECT node_id, count(*) FROM sessions GROUP BY node_id")) == {
        node["node_id"]: node["connections"] for node in per_node
    }
    assert query(database_url, "SELECT DISTINCT reason FROM decode_errors") == [
        ("unknown discriminator 255",)
    ]
    # Every session was closed, and none on a partial frame, slow nodes included.
    assert query(
        database_url, "SELECT DISTINCT closed_at IS NOT NULL, close_reason FROM sessions"
    ) == [(True, "closed by node")]
