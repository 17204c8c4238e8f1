"""The web process when the database is frozen or read-only, when ingest is stalled, and when a
request is too malformed for Flask to see: always a JSON answer, and soon."""

import json
import socket
import time

import pytest
import requests

from tests.support.db import FaultyPostgres
from tests.support.web import running_web

# The pool's ANSWER_TIMEOUT, with room for a loaded machine.
PROMPTLY = 10


@pytest.fixture(scope="module")
def faulty_pg():
    server = FaultyPostgres()
    yield server
    server.stop()


@pytest.fixture
def faulty_url(faulty_pg):
    url = faulty_pg.fresh_database()
    yield url
    faulty_pg.read_only(False)
    faulty_pg.drop_database(url)


def test_a_frozen_database_gets_503_in_json_promptly_and_recovers(faulty_pg, faulty_url):
    with running_web(faulty_url, workers=1) as (port, _):
        base = f"http://127.0.0.1:{port}"
        assert requests.get(f"{base}/api/events?limit=3", timeout=10).status_code == 200
        faulty_pg.freeze()
        try:
            for path in ("/api/events?limit=4", "/api/nodes/" + "ab" * 32, "/api/health/detailed"):
                started = time.monotonic()
                response = requests.get(base + path, timeout=30)
                assert time.monotonic() - started < PROMPTLY, path
                assert response.status_code == 503, path
                assert response.headers["Content-Type"] == "application/json"
                body = response.json()
                if path == "/api/health/detailed":
                    assert body["status"] == "unhealthy"
                    assert body["components"]["database"]["status"] == "unhealthy"
                else:
                    assert (
                        "did not answer" in body["detail"]["reason"]
                        or "no connection" in (body["detail"]["reason"])
                    ), body
        finally:
            faulty_pg.thaw()
        assert requests.get(f"{base}/api/events?limit=5", timeout=10).status_code == 200


def test_health_says_when_the_database_is_read_only(faulty_pg, faulty_url):
    with running_web(faulty_url, workers=1) as (port, _):
        faulty_pg.read_only(True)
        body = requests.get(f"http://127.0.0.1:{port}/api/health/detailed", timeout=10).json()
    assert body["status"] == "degraded"
    assert body["components"]["database"]["status"] == "degraded"
    assert "read-only" in body["components"]["database"]["message"]


def _ingest_counters(pending, capacity=100, last_write_ago=0.5):
    return {
        "started_at": time.time() - 3600,
        "buffer_pending": pending,
        "queue_capacity": capacity,
        "last_write_at": time.time() - last_write_ago,
    }


def test_health_is_degraded_while_an_ingest_queue_is_nearly_full(client, rows):
    rows.ingest_stats("calm", _ingest_counters(pending=10))
    assert client.get("/api/health/detailed").json["components"]["ingest"]["status"] == "healthy"
    rows.ingest_stats("busy", _ingest_counters(pending=81))
    detailed = client.get("/api/health/detailed")
    assert detailed.status_code == 200
    ingest = detailed.json["components"]["ingest"]
    assert (detailed.json["status"], ingest["status"]) == ("degraded", "degraded")
    assert (ingest["queue_depth"], ingest["queue_capacity"]) == (91, 200)
    assert "over 80% full" in ingest["message"]


def test_health_is_degraded_while_a_writer_with_events_waiting_writes_nothing(client, rows):
    rows.ingest_stats("idle", _ingest_counters(pending=0, last_write_ago=600))
    assert client.get("/api/health/detailed").json["components"]["ingest"]["status"] == "healthy"
    rows.ingest_stats("stuck", _ingest_counters(pending=5, last_write_ago=11))
    ingest = client.get("/api/health/detailed").json["components"]["ingest"]
    assert ingest["status"] == "degraded"
    assert ingest["stalled_processes"] == 1
    assert "wrote nothing for 10 s" in ingest["message"]


def _raw_request(port, data):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, head.decode("latin-1"), body


def test_requests_gunicorn_refuses_are_answered_in_json(database_url):
    with running_web(database_url, workers=1) as (port, _):
        refused = {
            "not HTTP": b"\x16\x03\x01 garbage \r\n\r\n",
            "URL too long": b"GET /api/events?x=" + b"a" * 5000 + b" HTTP/1.1\r\n\r\n",
            "header too large": b"GET /api/health HTTP/1.1\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n",
        }
        answers = {name: _raw_request(port, data) for name, data in refused.items()}
    assert {name: status for name, (status, _, _) in answers.items()} == {
        "not HTTP": 400,
        "URL too long": 414,
        "header too large": 431,
    }
    for status, head, body in answers.values():
        assert "Content-Type: application/json" in head
        error = json.loads(body)
        assert set(error) == {"error", "detail"} and error["detail"] == {"status": status}
