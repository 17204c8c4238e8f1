"""WS /api/ws and /api/events/stream against gunicorn (2 gevent workers) and real `tart ingest`."""

import contextlib
import random
import time

from tart.config import Settings
from tart.protocol import EVENTS
from tart.protocol.samples import sample
from tart.web import create_app
from tests.support.ingest import running_ingest, scalar, wait_for_rows
from tests.support.live import LiveClient, client_on, one_client_per_worker
from tests.support.node import TelemetryNode, best_block
from tests.support.rows import Rows
from tests.support.web import running_web

NODE = "cd" * 32
KINDS = [(discriminator, event) for discriminator, event in EVENTS.items() if discriminator != 0]


def until_pong(client) -> list[dict]:
    """Ping, then return the events that were queued before the pong."""
    client.send({"type": "Ping"})
    events = []
    while True:
        message = client.message()
        if message["type"] == "pong":
            return events
        if message["type"] == "event":
            events.append(message["data"])
        else:
            assert message["type"] == "stats", message


def by_node(events) -> dict:
    nodes = {}
    for event in events:
        nodes.setdefault(event["node_id"], []).append((event["event_id"], event["event"]))
    return nodes


def test_every_filter_delivers_exactly_the_matching_events(database_url):
    rng = random.Random(5)
    with running_ingest(database_url) as (host, port, _), running_web(database_url) as (web, _):
        everyone = one_client_per_worker(web)
        with TelemetryNode(host, port) as a, TelemetryNode(host, port) as b:
            filtered = {
                "node": {"type": "Node", "node_id": "0x" + a.node_id.upper()},
                "type": {"type": "EventType", "event_type": 11},
                "range": {"type": "EventTypeRange", "start": 90, "end": 113},
                "all": {"type": "All"},
            }
            clients = {name: LiveClient(web) for name in filtered}
            for name, spec in filtered.items():
                clients[name].send({"type": "Subscribe", "filter": spec})
            assert clients["node"].next("subscribed")["filter"] == {
                "type": "Node",
                "node_id": a.node_id,
            }
            for name in ("type", "range", "all"):
                assert clients[name].next("subscribed")["filter"] == filtered[name]
            stream = LiveClient(web, f"/api/events/stream?node_id={b.node_id}&event_type=11,90-113")

            # (node, JIP-3 event id, discriminator, data) of everything sent, in order per node.
            sent = []
            for _ in range(2):
                for discriminator, event in KINDS:
                    for node in (a, b):
                        data = {event.event_name: sample(event, 2, rng)}
                        node.send(data)
                        sent.append((node.node_id, discriminator, data))
            wait_for_rows(database_url, "SELECT count(*) FROM events", len(sent))
            # Last of all, so that the stream has received everything once it has this.
            b.send(best_block(7))
            sent.append((b.node_id, 11, best_block(7)))
            wait_for_rows(database_url, "SELECT count(*) FROM events", len(sent))

        def expected(wanted):
            nodes = {}
            for node_id, discriminator, data in sent:
                event_id = len(nodes.setdefault(node_id, []))
                nodes[node_id].append((event_id, discriminator, data))
            return {
                node_id: [
                    (event_id, data)
                    for event_id, discriminator, data in events
                    if wanted(node_id, discriminator)
                ]
                for node_id, events in nodes.items()
                if any(wanted(node_id, d) for _, d, _ in events)
            }

        for client in everyone:
            events = client.events(len(sent))
            assert [e["id"] for e in events] == sorted({e["id"] for e in events})
            assert by_node(events) == expected(lambda node, kind: True)
        wanted = {
            "node": lambda node, kind: node == a.node_id,
            "type": lambda node, kind: kind == 11,
            "range": lambda node, kind: 90 <= kind <= 113,
            "all": lambda node, kind: True,
        }
        for name, client in clients.items():
            events = until_pong(client)
            assert by_node(events) == expected(wanted[name]), name
            assert {e["event_type"] for e in events} == {
                kind for _, kind, _ in sent if wanted[name]("", kind) or name == "node"
            }
        stream_events = stream.stream(
            len(
                expected(
                    lambda node, kind: node == b.node_id and (kind == 11 or 90 <= kind <= 113)
                )[b.node_id]
            )
        )
        assert by_node(stream_events) == expected(
            lambda node, kind: node == b.node_id and (kind == 11 or 90 <= kind <= 113)
        )
        assert stream_events[-1]["event"] == best_block(7)
        for client in [*everyone, *clients.values(), stream]:
            client.close()


def test_event_messages_have_the_seed_shape(database_url):
    with running_ingest(database_url) as (host, port, _), running_web(database_url) as (web, _):
        with LiveClient(web) as client, TelemetryNode(host, port) as node:
            node.send(best_block(42), timestamp=1_000_000)
            (event,) = client.events(1)
    stored_id = scalar(database_url, "SELECT id FROM events")
    assert set(event) == {
        "id",
        "node_id",
        "event_id",
        "event_type",
        "latency_ms",
        "event",
        "timestamp",
        "received_at",
    }
    assert event["id"] == stored_id
    assert (event["node_id"], event["event_id"], event["event_type"]) == (node.node_id, 0, 11)
    assert event["event"] == best_block(42)
    # The node's clock: one second into the JAM Common Era.
    assert event["timestamp"] == "2025-01-01T12:00:01.000000Z"
    assert event["received_at"].endswith("Z")
    assert isinstance(event["latency_ms"], float) and event["latency_ms"] >= 0


def test_events_stored_after_connected_reach_a_worker_s_first_client(database_url):
    """A worker's listener starts with its first client; events stored while it connects,
    after the client has read `connected`, still reach that client."""
    with running_web(database_url, workers=1) as (web, _), Rows(database_url) as rows:
        with LiveClient(web) as client:
            session = rows.node(NODE)
            stored = rows.events(NODE, session, [(11, best_block(slot)) for slot in range(3)])
            assert [event["id"] for event in client.events(3)] == stored


def test_client_requests_are_answered_and_bad_ones_get_an_error(database_url):
    with running_ingest(database_url) as (host, port, _), running_web(database_url) as (web, _):
        with LiveClient(web) as client, TelemetryNode(host, port) as node:
            assert client.connected["message"] == "Connected to TART telemetry (1024-node scale)"
            assert set(client.connected) == {
                "message",
                "recent_events",
                "total_nodes",
                "broadcaster_stats",
            }
            for slot in range(30):
                node.send(best_block(slot))
            events = client.events(30)

            client.send({"type": "GetRecentEvents", "limit": 20})
            recent = client.next("recent_events")
            assert recent["count"] == 20
            assert [e["id"] for e in recent["events"]] == [e["id"] for e in events[10:]]
            assert recent["events"][-1]["event"] == best_block(29)
            client.send({"type": "GetRecentEvents"})
            assert client.next("recent_events")["count"] == 30

            client.send({"type": "Ping"})
            pong = client.next("pong")
            assert pong["events_received"] == 30 and pong["uptime_ms"] > 0

            bad = [
                ("{not json", "malformed JSON"),
                ('["Ping"]', 'a message must be a JSON object with a "type"'),
                ({"type": "Shout"}, "unknown message type 'Shout'"),
                ({"type": "Subscribe"}, 'filter must be an object with a "type"'),
                ({"type": "Subscribe", "filter": {"type": "Nodes"}}, "unknown filter type"),
                (
                    {"type": "Subscribe", "filter": {"type": "Node", "node_id": "xyz"}},
                    "node_id must be 64 hexadecimal characters",
                ),
                (
                    {"type": "Subscribe", "filter": {"type": "EventType", "event_type": 256}},
                    "event_type must be an event discriminator",
                ),
                (
                    {
                        "type": "Subscribe",
                        "filter": {"type": "EventTypeRange", "start": 113, "end": 90},
                    },
                    "must not be after end",
                ),
                (
                    {"type": "Subscribe", "filter": {"type": "All"}, "since_id": -1},
                    "since_id must be an event id",
                ),
                ({"type": "GetRecentEvents", "limit": 1.5}, "limit must be a whole number"),
                ({"type": "GetRecentEvents", "limit": "5"}, "limit must be a whole number"),
            ]
            for message, complaint in bad:
                client.send(message)
                assert complaint in client.next("error")["message"], message
            # Still open, and still subscribed to everything: a bad Subscribe changed nothing.
            node.send(best_block(30))
            assert client.events(1)[0]["event"] == best_block(30)

            client.send({"type": "Unsubscribe"})
            client.next("unsubscribed")
            with client_on(web, client.worker) as witness:
                node.send(best_block(31))
                assert witness.events(1)[0]["event"] == best_block(31)
            client.send({"type": "Ping"})
            assert client.next("pong")["events_received"] == 31

            # Every 5 s: the database's counts, this worker's broadcaster, the connected nodes.
            deadline = time.monotonic() + 15
            while (message := client.message())["type"] != "stats":
                assert time.monotonic() < deadline
            stats = message["data"]
            assert stats["database"] == {
                "total_events": 32,
                "total_nodes": 1,
                "connected_nodes": 1,
                "decode_errors": 0,
            }
            assert stats["connections"] == {"total": 1, "nodes": [node.node_id]}
            assert stats["broadcaster"]["worker"] == client.worker

            # Too big to be a client message: the server hangs up, sometimes before the client
            # has read its close frame.
            client.send({"type": "Ping", "padding": "x" * 70_000})
            with contextlib.suppress(ConnectionResetError):
                assert client.closed() == (1009, "Message is too big")


def test_stream_parameters_are_checked(database_url):
    with running_web(database_url, workers=1) as (web, _):
        for query, complaint in [
            ("node_id=xyz", "node_id must be 64 hexadecimal characters"),
            ("event_type=256", "event_type must be event discriminators"),
            ("event_type=12-11", "event_type must be event discriminators"),
            ("since_id=-5", "since_id must be an event id"),
        ]:
            with LiveClient(web, f"/api/events/stream?{query}") as client:
                code, reason = client.closed()
                assert code == 1008 and complaint in reason, query


def test_plain_http_and_websocket_requests_to_the_wrong_endpoint_get_a_clear_400():
    client = create_app(Settings()).test_client()
    response = client.get("/api/events/stream")
    assert response.status_code == 400
    assert response.json["error"] == (
        "/api/events/stream is a WebSocket endpoint: connect with "
        "a WebSocket client (Upgrade: websocket)"
    )
    upgrade = {"Upgrade": "websocket", "Connection": "Upgrade"}
    response = client.get("/api/nodes", headers=upgrade)
    assert response.status_code == 400
    assert response.json["error"].startswith("/api/nodes is not a WebSocket endpoint")
