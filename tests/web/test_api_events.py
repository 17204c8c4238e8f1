"""The REST API's events: their shape, filters and paging, against a real database (Flask
client)."""

import pytest

from tests.support.rows import NODE_A, NODE_B, NOW, authored, best_block
from tests.support.shapes import EVENT_ADDED, SEED_EVENT

EVENT_KEYS = SEED_EVENT | EVENT_ADDED


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
