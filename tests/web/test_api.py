"""The REST API's shapes, filters, paging and errors, against a real database (Flask client)."""

import dataclasses
from datetime import timedelta

import pytest

from tart.config import Settings
from tart.web import create_app
from tests.support.rows import NOW, authored, best_block

NODE_A = "a1" * 32
NODE_B = "b2" * 32

NODE_KEYS = {
    "node_id",
    "peer_id",
    "implementation_name",
    "implementation_version",
    "is_connected",
    "event_count",
    "connected_at",
    "last_seen_at",
    "disconnected_at",
    "best_block",
    "finalized_block",
}
EVENT_KEYS = {
    "id",
    "node_id",
    "event_id",
    "event_type",
    "timestamp",
    "data",
    "node_name",
    "node_version",
    "received_at",
    "event_name",
}


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


def test_a_known_node_without_events_has_an_empty_page(client, rows):
    session = rows.node(NODE_A)
    assert client.get(f"/api/nodes/{NODE_A}/events").json == {
        "events": [],
        "next": None,
        "has_more": False,
    }
    (only,) = rows.events(NODE_A, session, [best_block(1)])
    assert client.get(f"/api/nodes/{NODE_A}/events?before_id={only}").json == {
        "events": [],
        "next": None,
        "has_more": False,
    }


def test_node_events_newest_first_in_the_seed_shape(client, rows):
    session = rows.node(NODE_A, name="polkajam", version="0.1.0")
    ids = rows.events(NODE_A, session, [best_block(slot) for slot in range(60)])
    response = client.get(f"/api/nodes/{NODE_A}/events")
    assert response.status_code == 200
    body = response.json
    assert set(body) == {"events", "next", "has_more"}
    assert [event["id"] for event in body["events"]] == ids[::-1][:50]  # default limit 50
    assert body["has_more"] is True
    assert body["next"] == ids[10]
    newest = body["events"][0]
    assert set(newest) == EVENT_KEYS
    assert newest["node_id"] == NODE_A and newest["event_id"] == 59
    assert newest["event_type"] == 11 and newest["event_name"] == "BestBlockChanged"
    assert newest["data"] == {"BestBlockChanged": {"slot": 59, "hash": "0x" + f"{59:064x}"}}
    assert newest["node_name"] == "polkajam" and newest["node_version"] == "0.1.0"
    assert newest["timestamp"] == NOW.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    assert newest["received_at"].endswith("Z")
    ten = client.get(f"/api/nodes/{NODE_A}/events?limit=10").json["events"]
    assert [event["id"] for event in ten] == ids[::-1][:10]


def test_an_event_without_a_representable_node_time_is_timed_by_its_arrival(client, rows):
    session = rows.node(NODE_A)
    rows.events(NODE_A, session, [best_block(1)], node_time=None)
    (event,) = client.get(f"/api/nodes/{NODE_A}/events").json["events"]
    assert event["timestamp"] == event["received_at"]


@pytest.mark.parametrize(
    "limit",
    ["abc", "1.5", "", "1e3", " 5", "+5", "٣", "--1", "5-"],
)
def test_a_limit_that_is_not_a_whole_number_is_400_with_a_message(client, rows, limit):
    rows.node(NODE_A)
    for path in ("/api/events", f"/api/nodes/{NODE_A}/events", f"/api/nodes/{NODE_A}/errors"):
        response = client.get(path, query_string={"limit": limit})
        assert response.status_code == 400
        assert response.json == {
            "error": "limit must be a whole number from 1 to 1000",
            "detail": {"parameter": "limit", "value": limit},
        }


@pytest.mark.parametrize(
    "query",
    [
        "event_type=256",
        "event_type=-1",
        "event_type=a",
        "event_type=11,",
        "event_type=",
        "before_id=-5",
        "since_id=x",
        "before_id=9223372036854775808",
        "node_id=xyz",
        "node_id=",
        "node_id=" + "a" * 65,
    ],
)
def test_bad_filters_are_400_naming_the_parameter(client, query):
    response = client.get(f"/api/events?{query}")
    assert response.status_code == 400
    assert response.json["detail"]["parameter"] == query.split("=")[0]


def test_events_filter_by_node_id_in_any_spelling_or_by_its_beginning(client, rows):
    a_ids = rows.events(NODE_A, rows.node(NODE_A), [best_block(1), best_block(2)])
    b_ids = rows.events(NODE_B, rows.node(NODE_B, name="pbnj"), [best_block(3)])
    for spelled in (NODE_A, "0x" + NODE_A.upper(), "a1", "A1A1", "0xa"):
        events = client.get(f"/api/events?node_id={spelled}").json["events"]
        assert [event["id"] for event in events] == a_ids[::-1], spelled
    events = client.get("/api/events").json["events"]
    assert [event["id"] for event in events] == sorted(a_ids + b_ids, reverse=True)
    assert {event["node_name"] for event in events} == {"polkajam", "pbnj"}
    assert client.get("/api/events?node_id=c").json == {
        "events": [],
        "next": None,
        "has_more": False,
    }


def test_events_filter_by_one_or_several_event_types(client, rows):
    session = rows.node(NODE_A)
    ids = rows.events(NODE_A, session, [best_block(1), authored(1), best_block(2), authored(2)])
    assert [e["id"] for e in client.get("/api/events?event_type=42").json["events"]] == [
        ids[3],
        ids[1],
    ]
    assert [e["id"] for e in client.get("/api/events?event_type=42,%2011").json["events"]] == ids[
        ::-1
    ]
    assert client.get("/api/events?event_type=12").json["events"] == []
    node_types = client.get(f"/api/nodes/{NODE_A}/events?event_type=11").json["events"]
    assert [event["id"] for event in node_types] == [ids[2], ids[0]]


def test_one_nodes_events_of_several_types_page_in_either_direction(client, rows):
    session = rows.node(NODE_A)
    finalized = (12, {"FinalizedBlockChanged": {"slot": 1, "hash": "0x" + "00" * 32}})
    a = rows.events(NODE_A, session, [best_block(1), finalized, authored(1)])
    rows.events(NODE_B, rows.node(NODE_B), [authored(2), best_block(2)])
    a += rows.events(NODE_A, session, [authored(3)])
    url = f"/api/events?node_id={NODE_A}&event_type=42,11"

    def ids(query):
        return [event["id"] for event in client.get(url + query).json["events"]]

    assert ids("") == [a[3], a[2], a[0]]
    assert ids(f"&since_id={a[0]}&limit=1") == [a[2]]
    assert ids(f"&before_id={a[3]}&limit=1") == [a[2]]


def test_paging_backwards_with_next_visits_every_event_once(client, rows):
    session = rows.node(NODE_A)
    ids = rows.events(NODE_A, session, [best_block(slot) for slot in range(25)])
    seen, url = [], "/api/events?limit=10"
    while url:
        body = client.get(url).json
        seen += [event["id"] for event in body["events"]]
        url = body["next"] and f"/api/events?limit=10&before_id={body['next']}"
    assert seen == ids[::-1]


def test_paging_forwards_with_since_id_is_oldest_first_and_never_loses_its_place(client, rows):
    session = rows.node(NODE_A)
    first = rows.events(NODE_A, session, [best_block(slot) for slot in range(5)])
    body = client.get(f"/api/events?since_id={first[1]}&limit=2").json
    assert [event["id"] for event in body["events"]] == first[2:4]
    assert body["next"] == first[3]
    body = client.get(f"/api/events?since_id={body['next']}&limit=2").json
    assert [event["id"] for event in body["events"]] == first[4:]
    caught_up = client.get(f"/api/events?since_id={body['next']}").json
    assert caught_up == {"events": [], "next": first[4], "has_more": False}
    later = rows.events(NODE_A, session, [best_block(9)], start_event_id=5)
    assert [e["id"] for e in client.get(f"/api/events?since_id={first[4]}").json["events"]] == later


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


def test_event_types_name_every_event_under_its_category(client):
    response = client.get("/api/event-types")
    assert response.status_code == 200
    answer = response.json
    status = answer["categories"][1]
    assert status == {"key": "status", "label": "Status events", "event_types": [10, 11, 12, 13]}
    types = {item["event_type"]: item for item in answer["event_types"]}
    assert len(types) == 115 and sorted(types) == [
        item["event_type"] for item in answer["event_types"]
    ]
    assert types[11] == {
        "event_type": 11,
        "event_name": "BestBlockChanged",
        "title": "Best block changed",
        "category": "status",
    }
    assert types[42]["category"] == "block_authoring"
    listed = [d for category in answer["categories"] for d in category["event_types"]]
    assert listed == sorted(types)
