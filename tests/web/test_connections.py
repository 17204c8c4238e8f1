"""Connections that never became a node (an HTTP request or garbage sent to the telemetry port)
show in GET /api/sessions and GET /api/errors and count in telemetry_decode_errors, against real
`tart ingest` and gunicorn."""

import socket
import struct
import time

import requests

from tests.support.ingest import query, running_ingest, wait_for_rows
from tests.support.node import TelemetryNode, best_block
from tests.support.procs import free_port
from tests.support.web import metric, running_web

HTTP_REQUEST = b"GET /api/health HTTP/1.1\r\nHost: localhost\r\n\r\n"
# Node information whose protocol version is 255.
BAD_NODE_INFORMATION = struct.pack("<I", 5) + b"\xff" * 5


def send_and_wait_for_close(host, port, data):
    with socket.create_connection((host, port)) as sock:
        sock.sendall(data)
        sock.settimeout(30)
        assert sock.recv(100) == b""  # closed by TART


def test_connections_without_a_node_are_shown_and_counted(database_url):
    web_port = free_port()
    api_bind = f"127.0.0.1:{web_port}"
    with (
        running_ingest(database_url, API_BIND=api_bind) as (host, port, _),
        running_web(database_url, workers=1, port=web_port) as (web, _),
    ):
        base = f"http://127.0.0.1:{web}/api"

        def get(path, status=200):
            response = requests.get(base + path, timeout=30)
            assert response.status_code == status, (path, response.text)
            return response.json()

        send_and_wait_for_close(host, port, HTTP_REQUEST)
        send_and_wait_for_close(host, port, BAD_NODE_INFORMATION)
        socket.create_connection((host, port)).close()  # a port probe: no trace
        with TelemetryNode(host, port) as node:
            node.send(best_block(1))
            node.send_raw(b"\x00" * 8 + b"\xff")  # an event of no kind: a decode error
            node.send(best_block(2))
            wait_for_rows(database_url, "SELECT count(*) FROM decode_errors", 3)
            wait_for_rows(database_url, "SELECT count(*) FROM events", 2)
            # Sessions' counts are written about once a second.
            wait_for_rows(
                database_url, "SELECT count(*) FROM sessions WHERE events_undecodable = 1", 3
            )
            wait_for_rows(database_url, "SELECT sum(events_stored) FROM sessions", 2)

            sessions = get("/sessions")
            assert sessions["has_more"] is False and sessions["next"] is None
            newest, garbage, http = sessions["sessions"]
            assert newest["node_id"] == node.node_id and newest["closed_at"] is None
            assert http["node_id"] is None and garbage["node_id"] is None
            assert http["close_reason"] == (
                f"this is the JIP-3 telemetry port; the HTTP API is on {api_bind}"
            )
            assert garbage["close_reason"].startswith("bad node information: ")
            assert http["remote_address"].startswith("127.0.0.1:")
            assert http["closed_at"] >= http["opened_at"]
            assert http["events_undecodable"] == 1
            assert get(f"/sessions?node_id={node.node_id[:5]}")["sessions"] == [newest]
            first = get("/sessions?limit=1")
            assert first["sessions"] == [newest] and first["has_more"] is True
            rest = get(f"/sessions?before_id={first['next']}")["sessions"]
            assert rest == [garbage, http]

            errors = get("/errors")
            assert errors["has_more"] is False
            event_error, bad_information, http_error = errors["errors"]
            assert event_error["node_id"] == node.node_id and event_error["event_id"] == 1
            assert event_error["discriminator"] == 255
            assert bad_information["node_id"] is None
            assert bad_information["session_id"] == garbage["id"]
            assert bad_information["raw"] == "0x" + "ff" * 5
            assert http_error == {
                **http_error,
                "node_id": None,
                "session_id": http["id"],
                "event_id": None,
                "discriminator": None,
                "reason": http["close_reason"],
                "raw": "0x" + HTTP_REQUEST.hex(),
                "raw_length": len(HTTP_REQUEST),
            }
            assert get(f"/errors?session={http['id']}")["errors"] == [http_error]
            assert get(f"/errors?node_id=0x{node.node_id.upper()}")["errors"] == [event_error]
            assert get(f"/nodes/{node.node_id}/errors")["errors"] == [event_error]
            page = get("/errors?limit=2")
            assert page["errors"] == [event_error, bad_information] and page["has_more"]
            assert get(f"/errors?before_id={page['next']}")["errors"] == [http_error]
            assert get(f"/errors?since_id={http_error['id']}")["errors"] == [
                bad_information,
                event_error,
            ]
            assert get("/errors?session=x", status=400)["error"].startswith(
                "session must be a session id"
            )
            assert get("/sessions?before_id=-1", status=400)["error"].startswith(
                "before_id must be a session id"
            )
            assert get("/errors?since_id=-1", status=400)["error"].startswith(
                "since_id must be an error id"
            )
            assert get("/errors?event_type=11", status=400)["detail"]["parameter"] == "event_type"
            assert get("/sessions?node_id=xyz", status=400)["detail"]["parameter"] == "node_id"

            # Two failed handshakes and the node's undecodable event; the counters are
            # written about once a second.
            deadline = time.monotonic() + 30
            while metric(web, "telemetry_decode_errors") != 3:
                assert time.monotonic() < deadline
                time.sleep(0.2)


def test_every_http_method_is_told_where_the_api_is(database_url):
    with running_ingest(database_url, API_BIND="[::1]:8081") as (host, port, _):
        for request in (b"POST /api/events HTTP/1.1\r\n\r\n", b"PUT / HTTP/1.1\r\n", b"HEAD /"):
            send_and_wait_for_close(host, port, request)
        wait_for_rows(database_url, "SELECT count(*) FROM decode_errors", 3)
        wait_for_rows(database_url, "SELECT count(*) FROM sessions WHERE closed_at IS NOT NULL", 3)
    assert query(database_url, "SELECT DISTINCT close_reason FROM sessions") == [
        ("this is the JIP-3 telemetry port; the HTTP API is on [::1]:8081",)
    ]
