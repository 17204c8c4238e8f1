"""Connections that are not well-behaved nodes: a browser or TLS client on the telemetry port,
and frames that stall half-sent, which must not pin memory without bound."""

import socket
import struct
import time

from tart.ingest.connection import HTTP_REASON, TLS_REASON
from tests.support.ingest import query, running_ingest, wait_for_rows
from tests.support.node import TelemetryNode, best_block
from tests.support.procs import running, tart


def _closed_with(database_url, reason):
    wait_for_rows(database_url, "SELECT count(*) FROM sessions WHERE closed_at IS NOT NULL", 1)
    return query(database_url, "SELECT close_reason FROM sessions") == [(reason,)]


def test_an_http_request_on_the_telemetry_port_is_told_where_the_api_is(database_url):
    with running_ingest(database_url, API_BIND="127.0.0.1:8099") as (host, port, _):
        with socket.create_connection((host, port)) as sock:
            sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            assert sock.recv(100) == b""  # closed
        assert _closed_with(database_url, HTTP_REASON.format(api_bind="127.0.0.1:8099"))


def test_a_tls_handshake_on_the_telemetry_port_is_named(database_url):
    with running_ingest(database_url) as (host, port, _):
        with socket.create_connection((host, port)) as sock:
            sock.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64)
            assert sock.recv(100) == b""
        assert _closed_with(database_url, TLS_REASON)


def test_stalled_frames_share_one_budget_and_the_longest_waiting_goes(database_url):
    budget, part = 250_000, 80_000
    with running_ingest(database_url, TART_MAX_FRAME=100_000, TART_PARTIAL_FRAME_BUDGET=budget) as (
        host,
        port,
        ingest,
    ):
        honest = TelemetryNode(host, port)
        stallers = []
        for index in range(4):  # three fit in the budget; the fourth does not
            staller = TelemetryNode(host, port)
            # Identified first, so that the stallers' frames begin in this order.
            wait_for_rows(database_url, "SELECT count(*) FROM known_nodes", index + 2)
            staller.send_bytes(struct.pack("<I", 90_000) + b"\x00" * part)
            stallers.append(staller)
            honest.send(best_block(index))
            time.sleep(0.3)
        wait_for_rows(database_url, "SELECT count(*) FROM sessions WHERE closed_at IS NOT NULL", 1)
        for slot in range(4, 20):
            honest.send(best_block(slot))
        wait_for_rows(database_url, "SELECT count(*) FROM events", 20)
        closed = query(
            database_url,
            "SELECT node_id, close_reason FROM sessions WHERE closed_at IS NOT NULL",
        )
        assert ingest.poll() is None
        for node in (honest, *stallers):
            node.close()
    ((node_id, reason),) = closed
    assert node_id == stallers[0].node_id  # the one that waited longest
    assert reason.startswith(f"incomplete frame of {part + 4} bytes waited ")
    assert reason.endswith(f"exceeded TART_PARTIAL_FRAME_BUDGET ({budget} bytes)")


def test_a_budget_smaller_than_the_largest_frame_is_refused(database_url):
    env = {
        "DATABASE_URL": database_url,
        "TART_MAX_FRAME": "100000",
        "TART_PARTIAL_FRAME_BUDGET": "99999",
    }
    with running(tart("ingest"), env) as ingest:
        assert ingest.wait(30) == 1
        assert "TART_PARTIAL_FRAME_BUDGET (99999) must be at least TART_MAX_FRAME" in (
            ingest.output()
        )
