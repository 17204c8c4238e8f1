"""The REST API's nodes, decode errors, stats and errors, against a real database (Flask
client); events, their filters and paging are in test_api_events.py."""

import dataclasses
from datetime import timedelta

import pytest

from tart.config import Settings
from tart.web import create_app
from tests.support.rows import NODE_A, NODE_B, NOW, authored, best_block
from tests.support.shapes import NODE_ADDED, SEED_NODE

NODE_KEYS = SEED_NODE | NODE_ADDED


def test_nodes_are_listed_connected_first_then_by_last_seen(client, rows):
    rows.node("01" * 32, connected=False, last_seen_at=NOW)
    rows.node("02" * 32, connected=True, last_seen_at=NOW - timedelta(minutes=1))
    rows.node("03" * 32, connected=True, last_seen_at=NOW, best_slot=7, best_hash="0x" + "07" * 32)
    response = client.get("/api/nodes")
    assert response.status_code == 200
    nodes = response.json["nodes"]
    assert [node["node_id"] for node in nodes] == ["03" * 32, "02" * 32, "01" * 32]
    assert all(set(node) == NODE_KEYS for node in nodes)
    assert nodes[0]["peer_id"] == nodes[0]["node_id"]
    assert nodes[0]["is_connected"] is True and nodes[0]["disconnected_at"] is None
    assert nodes[2]["is_connected"] is False
    assert nodes[2]["disconnected_at"] == NOW.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    # How far each node has got, so that a table of nodes needs no request per node.
    assert nodes[0]["best_block"] == {"slot": 7, "hash": "0x" + "07" * 32}
    assert nodes[2]["best_block"] == nodes[2]["finalized_block"] == {"slot": None, "hash": None}


def test_node_details_carry_node_information_and_sessions(client, rows):
    session = rows.node(
        NODE_A,
        name="jamduna",
        version="0.2.0",
        best_slot=12,
        best_hash="0x" + "cd" * 32,
        finalized_slot=10,
    )
    for spelled in (NODE_A, "0x" + NODE_A, NODE_A.upper(), "0X" + NODE_A):
        response = client.get(f"/api/nodes/{spelled}")
        assert response.status_code == 200, spelled
    node = response.json
    assert set(node) >= NODE_KEYS
    assert node["implementation_name"] == "jamduna" and node["node_id"] == NODE_A
    assert node["node_info"] == {
        "params": {"core_count": 2, "layout": "0.7"},
        "genesis": "0x" + "11" * 32,
        "flags": 1,
        "gp_version": "0.7.1",
        "note": "",
        "protocol_version": 0,
        "peer_address": {"address": "127.0.0.1", "port": 30333},
    }
    assert node["best_block"] == {"slot": 12, "hash": "0x" + "cd" * 32}
    assert node["finalized_block"] == {"slot": 10, "hash": None}
    (current,) = node["sessions"]
    assert current["id"] == session and current["closed_at"] is None
    assert current["remote_address"] == "127.0.0.1:50000"


@pytest.mark.parametrize(
    "bad",
    ["abc", "a1" * 31, "a1" * 33, "g" * 64, "0x" + "a1" * 31, " " + "a1" * 32, "a1" * 31 + "a%20"],
)
def test_a_node_id_that_is_not_64_hex_digits_is_400(client, bad):
    for path in (f"/api/nodes/{bad}", f"/api/nodes/{bad}/events", f"/api/nodes/{bad}/errors"):
        response = client.get(path)
        assert response.status_code == 400, path
        assert response.json["error"].startswith("node_id must be 64 hexadecimal characters")
        assert response.json["detail"]["parameter"] == "node_id"


def test_an_unknown_node_is_404(client):
    for path in (
        f"/api/nodes/{NODE_A}",
        f"/api/nodes/{NODE_A}/events",
        f"/api/nodes/{NODE_A}/errors",
    ):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json == {
            "error": "no node with this node_id has connected",
            "detail": {"node_id": NODE_A},
        }


def test_decode_errors_of_a_node_newest_first_with_the_raw_frame(client, rows):
    session = rows.node(NODE_A)
    for offset in (9, 10, 11):
        rows.sql(
            "INSERT INTO decode_errors (node_id, session_id, event_id, discriminator, "
            "event_name, raw, field_path, byte_offset, reason) VALUES (%s, %s, 7, 13, "
            "'SyncStatusChanged', '\\x00000000000000000d61', 'SyncStatusChanged.synced', "
            "%s, 'invalid boolean 0x61')",
            (NODE_A, session, offset),
        )
    body = client.get(f"/api/nodes/{NODE_A}/errors?limit=2").json
    assert set(body) == {"errors", "next", "has_more"}
    assert body["has_more"] is True
    newest, older = body["errors"]
    assert newest == {
        "id": newest["id"],
        "node_id": NODE_A,
        "session_id": session,
        "event_id": 7,
        "discriminator": 13,
        "event_name": "SyncStatusChanged",
        "field_path": "SyncStatusChanged.synced",
        "byte_offset": 11,
        "reason": "invalid boolean 0x61",
        "raw": "0x00000000000000000d61",
        "raw_length": 10,
        "received_at": newest["received_at"],
    }
    assert older["byte_offset"] == 10 and body["next"] == older["id"]
    rest = client.get(f"/api/nodes/{NODE_A}/errors?before_id={body['next']}").json
    assert [error["byte_offset"] for error in rest["errors"]] == [9]
    assert rest["next"] is None


def test_stats_sum_up_the_network(client, rows):
    a = rows.node(NODE_A, best_slot=120, finalized_slot=118)
    b = rows.node(NODE_B, connected=False, best_slot=121, finalized_slot=117)
    rows.events(NODE_A, a, [authored(1), best_block(1), authored(2)])
    rows.events(NODE_B, b, [authored(3)])
    response = client.get("/api/stats")
    assert response.status_code == 200
    assert response.json == {
        "total_blocks_authored": 3,
        "best_block": 121,
        "finalized_block": 118,
        "total_nodes": 2,
        "connected_nodes": 1,
        "total_events": 4,
    }


def test_stats_are_computed_once_per_ttl(client, rows, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("tart.web.api.stats.time.monotonic", lambda: clock[0])
    session = rows.node(NODE_A)
    assert client.get("/api/stats").json["total_blocks_authored"] == 0
    rows.events(NODE_A, session, [authored(1)])
    clock[0] += 4.9
    assert client.get("/api/stats").json["total_blocks_authored"] == 0  # cached
    clock[0] += 0.2
    assert client.get("/api/stats").json["total_blocks_authored"] == 1


def test_unknown_paths_and_methods_answer_json(client):
    response = client.get("/api/nope")
    assert response.status_code == 404
    assert response.json == {
        "error": "no such endpoint: /api/nope",
        "detail": {"path": "/api/nope"},
    }
    response = client.post("/api/nodes")
    assert response.status_code == 405
    assert response.json["error"] == "POST is not allowed on /api/nodes"
    assert "GET" in response.json["detail"]["allowed"]
    assert "GET" in response.headers["Allow"]


def test_cors_allows_any_origin_by_default(client):
    response = client.get("/api/health", headers={"Origin": "https://dash.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        "/api/nodes",
        headers={
            "Origin": "https://dash.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-requested-with",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"] == "x-requested-with"


def test_cors_origins_can_be_restricted(database_url):
    settings = dataclasses.replace(
        Settings(), database_url=database_url, cors_origins=("https://dash.example",)
    )
    client = create_app(settings).test_client()
    allowed = client.get("/api/health", headers={"Origin": "https://dash.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://dash.example"
    assert "Origin" in allowed.headers["Vary"]
    other = client.get("/api/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_without_a_database_the_api_answers_503_json_and_health_still_200(pg):
    url = pg.fresh_database()
    pg.drop_database(url)  # a URL whose database no longer exists
    client = create_app(dataclasses.replace(Settings(), database_url=url)).test_client()
    response = client.get("/api/nodes")
    assert response.status_code == 503
    assert response.json["error"] == "the database is unavailable"
    assert "does not exist" in response.json["detail"]["reason"]
    assert client.get("/api/health").status_code == 200
    detailed = client.get("/api/health/detailed")
    assert detailed.status_code == 503
    assert detailed.json["status"] == "unhealthy"
    assert detailed.json["components"]["database"]["status"] == "unhealthy"
    assert detailed.json["components"]["ingest"]["status"] == "unknown"
