"""Acceptance: the real stack (embedded PostgreSQL, `tart ingest`, gunicorn with two gevent
workers), JIP-3 over TCP, and the seed README's endpoints checked by status code and exact keys."""

import re
import socket
import struct
import time

import requests

from tart.db.embedded import EmbeddedPostgres
from tart.db.migrate import migrate
from tests.support.ingest import running_ingest, wait_for_rows
from tests.support.node import TelemetryNode, best_block, block_outline
from tests.support.shapes import (
    EVENT_ADDED,
    NODE_ADDED,
    NODE_DETAILS_ADDED,
    SEED_EVENT,
    SEED_NODE,
    SEED_NODE_DETAILS,
    SEED_STATS,
    STATS_ADDED,
)
from tests.support.web import scrape, web_base

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def metric(samples, name):
    return samples.get((name, ()), 0)


def wait_for_metrics(base, expected: dict, timeout=30.0):
    """Poll /metrics until every name in `expected` has its value; return the last scrape."""
    deadline = time.monotonic() + timeout
    while True:
        samples = scrape(base)
        actual = {name: metric(samples, name) for name in expected}
        if actual == expected:
            return samples
        if time.monotonic() > deadline:
            raise AssertionError(f"/metrics shows {actual}, expected {expected}")
        time.sleep(0.2)


def get(base, path, status=200):
    response = requests.get(f"{base}{path}", timeout=10)
    assert response.status_code == status, (path, response.text)
    assert response.headers["Content-Type"] == "application/json"
    return response.json()


def test_the_seed_api_over_the_real_stack(database_url, tmp_path):
    with (
        running_ingest(database_url) as (host, port, _),
        web_base(database_url, PROMETHEUS_MULTIPROC_DIR=tmp_path) as base,
    ):
        with (
            TelemetryNode(host, port, name="polkajam") as node,
            TelemetryNode(host, port, name="jamduna") as other,
        ):
            node.send(best_block(10))
            node.send({"FinalizedBlockChanged": {"slot": 8, "hash": "0x" + "08" * 32}})
            node.send(
                {
                    "Authored": {
                        "authoring_id": 0,
                        "outline": block_outline(
                            "0x" + "0a" * 32, size=1000, num_guarantees=1, num_assurances=2
                        ),
                    }
                }
            )
            node.send_raw(struct.pack("<QB", 0, 13) + b"\x61")  # SyncStatusChanged, bad bool
            # Two connections are read in no set order; the ids below assume node's come first.
            wait_for_rows(database_url, "SELECT count(*) FROM events", 3)
            other.send(best_block(11))
            wait_for_rows(database_url, "SELECT count(*) FROM events", 4)
            wait_for_rows(database_url, "SELECT count(*) FROM decode_errors", 1)
            # Counters are written about once a second, or when the writer goes quiet.
            wait_for_rows(database_url, "SELECT sum(event_count) FROM known_nodes", 4)

            assert get(base, "/api/health") == {
                "status": "ok",
                "service": "tart-backend",
                "version": "0.1.0",
            }

            stats = get(base, "/api/stats")
            assert set(stats) == SEED_STATS | STATS_ADDED
            assert stats == {
                "total_blocks_authored": 1,
                "best_block": 11,
                "finalized_block": 8,
                "total_nodes": 2,
                "connected_nodes": 2,
                "total_events": 4,
            }

            nodes = get(base, "/api/nodes")
            assert set(nodes) == {"nodes"}
            assert all(set(n) == SEED_NODE | NODE_ADDED for n in nodes["nodes"])
            assert {n["node_id"] for n in nodes["nodes"]} == {node.node_id, other.node_id}
            assert all(
                n["is_connected"] and ISO_UTC.match(n["connected_at"]) for n in nodes["nodes"]
            )

            details = get(base, f"/api/nodes/{node.node_id}")
            assert set(details) == SEED_NODE_DETAILS | NODE_DETAILS_ADDED
            assert details["peer_id"] == node.node_id and details["event_count"] == 3
            assert details["node_info"]["genesis"] == "0x" + "11" * 32
            assert details["node_info"]["flags"] == 1
            assert details["node_info"]["params"]["core_count"] == 2
            assert details["best_block"]["slot"] == 10
            assert [s["closed_at"] for s in details["sessions"]] == [None]

            events = get(base, f"/api/nodes/{node.node_id}/events?limit=10")
            assert [e["event_type"] for e in events["events"]] == [42, 12, 11]
            newest = events["events"][0]
            assert set(newest) == SEED_EVENT | EVENT_ADDED
            assert newest["node_name"] == "polkajam" and newest["node_version"] == "0.1.0"
            assert newest["event_id"] == 2 and ISO_UTC.match(newest["timestamp"])
            assert newest["data"]["Authored"]["outline"]["num_assurances"] == 2
            everyone = get(base, "/api/events?limit=100")
            assert [e["node_name"] for e in everyone["events"]] == ["jamduna"] + ["polkajam"] * 3
            assert (
                get(base, f"/api/events?node_id={node.node_id}&limit=100")["events"]
                == events["events"]
            )

            (error,) = get(base, f"/api/nodes/{node.node_id}/errors")["errors"]
            assert error["discriminator"] == 13 and error["event_id"] == 3
            assert error["raw"] == "0x" + "00" * 8 + "0d61"
            assert error["field_path"] and error["byte_offset"] == 9

            get(base, "/api/nodes/not-hex", status=400)
            get(base, "/api/events?limit=many", status=400)
            assert len(get(base, "/api/events?limit=5000")["events"]) == 4  # clamped, not refused
            get(base, f"/api/nodes/{'f' * 64}", status=404)
            get(base, "/api/no-such-thing", status=404)

            detailed = get(base, "/api/health/detailed")
            assert set(detailed) == {
                "status",
                "timestamp",
                "components",
                "version",
                "uptime_seconds",
            }
            assert set(detailed["components"]) == {"database", "ingest", "broadcaster", "memory"}
            assert detailed["components"]["database"]["status"] == "healthy"
            assert detailed["components"]["ingest"]["connected_nodes"] == 2

            wait_for_metrics(
                base,
                {
                    "telemetry_events_received": 5,
                    "telemetry_decode_errors": 1,
                    "telemetry_active_connections": 2,
                },
            )
            assert_metrics_add_up_both_workers(base, tmp_path)


def http_requests_served(base) -> float:
    return sum(
        value for (name, _), value in scrape(base).items() if name == "flask_http_request_total"
    )


def assert_metrics_add_up_both_workers(base, metrics_dir):
    """Requests on new connections reach either worker; /metrics counts all of them."""
    before = http_requests_served(base)
    made = 0
    while made < 200:
        requests.get(f"{base}/api/health", timeout=10)
        made += 1
        workers = {path.stem.split("_")[-1] for path in metrics_dir.glob("counter_*.db")}
        if len(workers) == 2 and made >= 10:
            break
    assert len(workers) == 2, "the kernel gave one worker every connection"
    assert http_requests_served(base) - before == made


def test_metrics_move_when_events_arrive_connections_are_refused_and_events_rate_limited(
    database_url,
):
    with (
        running_ingest(
            database_url, TART_MAX_CONNECTIONS=1, TART_RATE_LIMIT=0.01, TART_RATE_BURST=2
        ) as (host, port, _),
        web_base(database_url) as base,
    ):
        wait_for_metrics(
            base,
            {
                "telemetry_ingest_processes": 1,
                "telemetry_events_received": 0,
                "telemetry_connections_rejected": 0,
                "telemetry_events_rate_limited": 0,
            },
        )
        with TelemetryNode(host, port) as node:
            for slot in range(5):
                node.send(best_block(slot))
            samples = wait_for_metrics(
                base,
                {
                    "telemetry_events_received": 5,
                    "telemetry_events_rate_limited": 3,
                    "telemetry_events_stored": 2,
                    "telemetry_active_connections": 1,
                },
            )
            # The node's connection, and running_ingest's probe of the port.
            accepted = metric(samples, "telemetry_connections_total")
            assert accepted >= 1
            refused = socket.create_connection((host, port))
            try:
                wait_for_metrics(
                    base,
                    {
                        "telemetry_connections_rejected": 1,
                        "telemetry_connections_total": accepted,
                        "telemetry_active_connections": 1,
                    },
                )
            finally:
                refused.close()


def test_health_is_503_while_the_database_is_down(tmp_path):
    server = EmbeddedPostgres(tmp_path / "db")
    url = server.start()
    try:
        migrate(url)
        with web_base(url) as base:
            healthy = requests.get(f"{base}/api/health/detailed", timeout=10)
            assert healthy.status_code == 200
            assert healthy.json()["components"]["database"]["status"] == "healthy"
            server.stop()
            down = requests.get(f"{base}/api/health/detailed", timeout=30)
            assert down.status_code == 503
            body = down.json()
            assert body["status"] == "unhealthy"
            assert body["components"]["database"]["status"] == "unhealthy"
            assert body["components"]["database"]["latency_ms"] is None
            nodes = get(base, "/api/nodes", status=503)
            assert nodes["error"] == "the database is unavailable"
            assert get(base, "/api/health")["status"] == "ok"
    finally:
        server.stop()
