"""`node_id` and `event_type` mean the same on the REST API, WS /api/ws and WS
/api/events/stream (one parser, tart.web.filters), against real `tart ingest` and gunicorn."""

import random

import requests

from tart.protocol import EVENTS
from tart.protocol.samples import sample
from tests.support.ingest import running_ingest, wait_for_rows
from tests.support.live import LiveClient
from tests.support.node import TelemetryNode, best_block
from tests.support.web import running_web

KINDS = [11, 42, 90, 95, 101, 113, 120]


def distinguishing_prefix(node_id: str, other: str) -> str:
    """The shortest beginning of `node_id` that `other` does not share."""
    length = 1
    while other.startswith(node_id[:length]):
        length += 1
    return node_id[:length]


def rest_ids(web, query: str) -> list[int]:
    response = requests.get(f"http://127.0.0.1:{web}/api/events?limit=1000&{query}", timeout=30)
    assert response.status_code == 200, response.text
    return sorted(event["id"] for event in response.json()["events"])


def test_a_prefix_and_a_range_select_the_same_events_everywhere(database_url):
    rng = random.Random(17)
    with running_ingest(database_url) as (host, port, _), running_web(database_url) as (web, _):
        with TelemetryNode(host, port) as a, TelemetryNode(host, port) as b:
            prefix = distinguishing_prefix(a.node_id, b.node_id)
            spelled = "0x" + prefix.upper()
            ws = LiveClient(web)
            ws.send({"type": "Subscribe", "filter": {"type": "Node", "node_id": spelled}})
            assert ws.next("subscribed")["filter"] == {"type": "Node", "node_id": prefix}
            stream = LiveClient(web, f"/api/events/stream?node_id={spelled}&event_type=90-113")
            sent = 0
            for _ in range(3):
                for kind in KINDS:
                    for node in (a, b):
                        event = EVENTS[kind]
                        node.send({event.event_name: sample(event, 2, rng)})
                        sent += 1
            wait_for_rows(database_url, "SELECT count(*) FROM events", sent)
            a.send(best_block(1))  # the last event for both clients...
            a.send({EVENTS[90].event_name: sample(EVENTS[90], 2, rng)})  # ...and the stream's
            wait_for_rows(database_url, "SELECT count(*) FROM events", sent + 2)

        by_prefix = rest_ids(web, f"node_id={spelled}")
        in_range = rest_ids(web, f"node_id={prefix}&event_type=90-113")
        assert len(by_prefix) == 3 * len(KINDS) + 2
        assert len(in_range) == 3 * 4 + 1  # 90, 95, 101 and 113 are in the range; 120 is not
        assert rest_ids(web, "event_type=90-113") == sorted(
            rest_ids(web, f"node_id={a.node_id}&event_type=90-113")
            + rest_ids(web, f"node_id={b.node_id}&event_type=90-113")
        )
        assert sorted(event["id"] for event in ws.events(len(by_prefix))) == by_prefix
        assert sorted(event["id"] for event in stream.stream(len(in_range))) == in_range
        ws.close()
        stream.close()
        # Resuming replays stored events under the same grammar.
        query = f"node_id={spelled}&event_type=90-113&since_id=0"
        with LiveClient(web, f"/api/events/stream?{query}") as replay:
            assert [event["id"] for event in replay.stream(len(in_range))] == in_range


def test_the_same_bad_filter_gets_the_same_complaint_everywhere(database_url):
    with running_web(database_url, workers=1) as (web, _):
        for name, value in [("node_id", "xyz"), ("node_id", "a" * 65), ("event_type", "12-11")]:
            response = requests.get(f"http://127.0.0.1:{web}/api/events?{name}={value}", timeout=30)
            assert response.status_code == 400
            complaint = response.json()["error"]
            assert response.json()["detail"] == {"parameter": name, "value": value}
            with LiveClient(web, f"/api/events/stream?{name}={value}") as stream:
                assert stream.closed() == (1008, complaint)
            if name == "node_id":
                with LiveClient(web) as ws:
                    ws.send({"type": "Subscribe", "filter": {"type": "Node", "node_id": value}})
                    assert ws.next("error")["message"] == complaint
