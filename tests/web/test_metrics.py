"""/metrics: the ingest processes' counters under the seed's names, and HTTP request metrics."""

import os
import struct
import subprocess
import sys

import pytest
import requests
from prometheus_client import CollectorRegistry, Counter
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tart.ingest.stats import DROP_REASONS
from tart.protocol import EVENTS
from tart.web import metrics
from tests.support.rows import best_block
from tests.support.web import running_web


def scrape(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    return {family.name: family for family in text_string_to_metric_families(response.text)}


def value(families, name, sample=None, **labels):
    (found,) = [
        s.value for s in families[name].samples if s.name == (sample or name) and s.labels == labels
    ]
    return found


def histogram(duration_buckets, total, count):
    return {
        "buckets": dict(
            zip(
                (
                    "0.001",
                    "0.0025",
                    "0.005",
                    "0.01",
                    "0.025",
                    "0.05",
                    "0.1",
                    "0.25",
                    "0.5",
                    "1",
                    "+Inf",
                ),
                duration_buckets,
            )
        ),
        "sum": total,
        "count": count,
    }


def test_ingest_counters_add_up_over_processes_and_gauges_only_over_live_ones(client, rows):
    rows.ingest_stats(
        "live",
        {
            "active_connections": 3,
            "connections_total": 5,
            "connections_rejected": 1,
            "events_received": 100,
            "events_stored": 90,
            "events_stored_by_type": {"10": 80, "11": 10},
            "events_dropped": 4,
            "events_dropped_by_reason": {"queue full": 4},
            "events_rate_limited": 6,
            "events_undecodable": 2,
            "buffer_pending": 7,
            "database_pool_connections": 2,
            "batch_write_duration": histogram([1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3], 0.012, 3),
            "last_write_at": 1764790000.5,
            "writer_errors": 7,
        },
    )
    rows.ingest_stats(
        "gone",
        {
            "active_connections": 50,
            "connections_total": 10,
            "connections_rejected": 2,
            "events_received": 1000,
            "events_stored": 1000,
            "events_stored_by_type": {"10": 1000},
            "events_dropped": 0,
            "events_dropped_by_reason": {},
            "events_rate_limited": 0,
            "events_undecodable": 1,
            "buffer_pending": 500,
            "database_pool_connections": 2,
            "batch_write_duration": histogram([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1], 0.9, 1),
            "last_write_at": 1764799999.0,
            "writer_errors": 1,
        },
        age_seconds=60,
    )
    client.get("/api/nodes")  # opens a connection of the web pool
    families = scrape(client)
    # Seed names, exactly; monotonic counts without _total are gauge-typed to keep them.
    assert families["telemetry_active_connections"].type == "gauge"
    assert value(families, "telemetry_active_connections") == 3
    assert families["telemetry_connections"].type == "counter"
    assert value(families, "telemetry_connections", "telemetry_connections_total") == 15
    for name, expected in (
        ("telemetry_connections_rejected", 3),
        ("telemetry_events_received", 1100),
        ("telemetry_events_stored", 1090),
        ("telemetry_events_dropped", 4),
        ("telemetry_events_rate_limited", 6),
        ("telemetry_decode_errors", 3),
        ("telemetry_writer_errors", 8),
    ):
        assert families[name].type == "gauge"
        assert value(families, name) == expected, name
    assert value(families, "telemetry_events_dropped_by_reason", reason="queue full") == 4
    # Events by type: every type, at 0 before any, summed over processes like the counts.
    by_type = {
        (sample.labels["event"], sample.labels["category"]): sample.value
        for sample in families["telemetry_events_by_type"].samples
    }
    assert families["telemetry_events_by_type"].type == "counter"
    assert {s.name for s in families["telemetry_events_by_type"].samples} == {
        "telemetry_events_by_type_total"
    }
    assert by_type["Status", "status"] == 1080 and by_type["BestBlockChanged", "status"] == 10
    assert len(by_type) == len(EVENTS) and sum(by_type.values()) == 1090
    # Ingest's reasons are there before anything was dropped for them.
    for reason in DROP_REASONS:
        assert value(families, "telemetry_events_dropped_by_reason", reason=reason) == 0
    assert value(families, "telemetry_database_up") == 1
    assert value(families, "telemetry_buffer_pending") == 7
    assert value(families, "telemetry_ingest_processes") == 1
    # Of live processes only: a dead one's last write says nothing about the writer now.
    assert value(families, "telemetry_writer_last_write_timestamp_seconds") == 1764790000.5
    # The live ingest process's 2 plus the web pools' (in this test process: of every app).
    web_pools = value(families, "telemetry_web_database_pool_connections")
    assert web_pools >= 1
    assert value(families, "telemetry_database_pool_connections") == 2 + web_pools
    duration = families["telemetry_batch_write_duration"]
    assert duration.type == "histogram"
    assert (
        value(
            families,
            "telemetry_batch_write_duration",
            "telemetry_batch_write_duration_bucket",
            le="0.001",
        )
        == 1
    )
    assert (
        value(
            families,
            "telemetry_batch_write_duration",
            "telemetry_batch_write_duration_bucket",
            le="1.0",
        )
        == 4
    )
    assert (
        value(families, "telemetry_batch_write_duration", "telemetry_batch_write_duration_count")
        == 4
    )
    assert (
        value(families, "telemetry_batch_write_duration", "telemetry_batch_write_duration_sum")
        == 0.912
    )
    assert value(families, "telemetry_broadcaster_subscribers") == 0
    assert value(families, "telemetry_broadcaster_total_broadcast") == 0


def test_http_requests_are_counted_by_route_not_by_path(client, rows):
    session = rows.node("a1" * 32)
    rows.events("a1" * 32, session, [best_block(1)])
    client.get(f"/api/nodes/{'a1' * 32}")
    client.get(f"/api/nodes/{'a1' * 32}")
    client.get("/api/nodes/zz")
    families = scrape(client)
    durations = families["flask_http_request_duration_seconds"]
    counts = {
        (s.labels["path"], s.labels["status"]): s.value
        for s in durations.samples
        if s.name.endswith("_count")
    }
    assert counts[("/api/nodes/<node_id>", "200")] == 2
    assert counts[("/api/nodes/<node_id>", "400")] == 1


def test_metrics_still_serve_the_web_side_when_the_database_is_gone(client, pg, database_url):
    pg.drop_database(database_url)
    families = scrape(client)
    assert "telemetry_broadcaster_subscribers" in families
    assert "telemetry_events_received" not in families
    assert value(families, "telemetry_database_up") == 0


def test_gunicorn_workers_broadcaster_gauges_add_up_and_a_dead_one_stops_counting(tmp_path):
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))

    def python(code):
        return subprocess.run(
            [sys.executable, "-c", "from tart.web import metrics\n" + code],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    first = python("import os\nmetrics.broadcaster_subscribers.inc(2)\nprint(os.getpid())")
    python("metrics.broadcaster_subscribers.inc(3)")
    count = 'print(metrics.live_sum("telemetry_broadcaster_subscribers"))'
    assert python(count) == "5.0\n"
    python(
        f"from prometheus_client import multiprocess\n"
        f"multiprocess.mark_process_dead({first.strip()})"
    )
    assert python(count) == "3.0\n"


def test_other_web_modules_add_their_metrics(app, client):
    refused = Counter("telemetry_example_refused", "Example", registry=None)
    metrics.register(app, refused)
    refused.inc(2)
    assert (
        value(scrape(client), "telemetry_example_refused", "telemetry_example_refused_total") == 2
    )


def test_a_worker_file_caught_before_its_header_is_written_does_not_fail_the_scrape(
    database_url, tmp_path
):
    with running_web(database_url, PROMETHEUS_MULTIPROC_DIR=tmp_path) as (port, _):
        requests.get(f"http://127.0.0.1:{port}/api/nodes", timeout=10)
        # What a worker's first value of a kind leaves for an instant: its file, still empty.
        for name in ("counter_999999.db", "gauge_livesum_999999.db", "histogram_999999.db"):
            (tmp_path / name).touch()
        with pytest.raises(struct.error):  # prometheus_client's own collector trips on it
            MultiProcessCollector(CollectorRegistry(), path=str(tmp_path)).collect()
        for _ in range(4):  # each worker answers some of them
            response = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
            assert response.status_code == 200, response.text
            families = {f.name: f for f in text_string_to_metric_families(response.text)}
            assert value(families, "telemetry_broadcaster_subscribers") == 0
            counts = [
                s
                for s in families["flask_http_request_duration_seconds"].samples
                if s.name.endswith("_count") and s.labels["path"] == "/api/nodes"
            ]
            assert [s.value for s in counts] == [1]
        health = requests.get(f"http://127.0.0.1:{port}/api/health/detailed", timeout=10).json()
        assert health["components"]["broadcaster"]["subscribers"] == 0
