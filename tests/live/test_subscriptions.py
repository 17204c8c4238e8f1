"""Filters, outboxes and the replay-to-live handover, without a server."""

import pytest
from wsproto.frame_protocol import FrameProtocol

from tart.web.live.messages import frame
from tart.web.live.subscriptions import (
    ALL,
    Filter,
    FilterError,
    Outbox,
    Subscription,
    parse_filter,
    parse_query,
)

NODE = "ab" * 32


class Event:
    """What subscriptions read of a LiveEvent."""

    def __init__(self, id, node_id=NODE, event_type=11):
        self.id, self.node_id, self.event_type = id, node_id, event_type
        self.message = self.plain = f"frame {id}".encode()
        self.data = f'{{"id":{id}}}'.encode()
        self.sent = "2026-01-01T00:00:00.000000Z"


def test_ws_filters():
    assert parse_filter({"type": "All"}) is ALL
    node = parse_filter({"type": "Node", "node_id": "0x" + NODE.upper()})
    assert node == Filter(node_id=NODE) and node.spec == {"type": "Node", "node_id": NODE}
    assert parse_filter({"type": "EventType", "event_type": 0}).event_types == {0}
    assert parse_filter({"type": "EventTypeRange", "start": 90, "end": 113}).event_types == set(
        range(90, 114)
    )
    for spec in [
        None,
        [],
        {"type": 11},
        {"type": "Nodes"},
        {"type": "Node"},
        {"type": "Node", "node_id": NODE + "a"},
        {"type": "Node", "node_id": "xyz"},
        {"type": "EventType"},
        {"type": "EventType", "event_type": True},
        {"type": "EventType", "event_type": 11.0},
        {"type": "EventTypeRange", "start": 0, "end": 256},
        {"type": "EventTypeRange", "start": 12, "end": 11},
    ]:
        with pytest.raises(FilterError):
            parse_filter(spec)


def test_stream_parameters_combine():
    filter, since = parse_query({"node_id": NODE, "event_type": "11, 90-92,0", "since_id": "7"})
    assert (filter.node_id, filter.event_types, since) == (NODE, {0, 11, 90, 91, 92}, 7)
    assert filter.matches(Event(1, NODE, 91)) and not filter.matches(Event(1, NODE, 12))
    assert not filter.matches(Event(1, "cd" * 32, 11))
    assert parse_query({}) == (ALL, None) and parse_query({})[0].everything
    for args in [
        {"event_type": ""},
        {"event_type": "1,,2"},
        {"event_type": "a"},
        {"event_type": "5-"},
        {"since_id": "1e3"},
        {"since_id": str(2**63)},
    ]:
        with pytest.raises(FilterError):
            parse_query(args)


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 200_000])
def test_frames_are_valid_websocket_text_frames(size):
    payload = b"x" * size
    client = FrameProtocol(client=True, extensions=[])
    client.receive_bytes(frame(payload))
    (received,) = list(client.received_frames())
    assert received.payload == payload.decode() and received.frame_finished


def outbox(limit=10):
    overflows = []
    box = Outbox(limit, overflows.append, lambda count: None)
    return box, overflows


def test_a_client_too_far_behind_overflows_and_its_outbox_takes_no_more():
    box, overflows = outbox(limit=3)
    box.put_events([b"1", b"2", b"3", b"4", b"5"], 5)  # a burst alone is no reason
    assert overflows == [] and list(box.take()) == [b"1", b"2", b"3", b"4", b"5"]
    box.put_events([b"6", b"7", b"8"], 3)
    box.put_events([b"9"], 1)
    assert overflows == [] and len(box) == 4
    box.put_events([b"10"], 1)  # still more than 3 waiting when more come
    assert overflows == [4]
    box.close()
    box.put_events([b"11"], 1)
    assert len(box) == 0 and box.events == 9


def test_replay_handover_sends_each_event_once():
    box, _ = outbox()
    subscription = Subscription(ALL, box, "message", replaying=True)
    # Live events while the replay runs are held back ...
    subscription.deliver([Event(11), Event(12)], {})
    assert len(box) == 0
    # ... then those the replay did not cover are sent,
    subscription.go_live(replayed_through=11)
    assert list(box.take()) == [b"frame 12"]
    # and so are later ones.
    subscription.deliver([Event(13)], {})
    assert list(box.take()) == [b"frame 13"]


def test_replay_ahead_of_the_listener_is_not_sent_twice():
    box, _ = outbox()
    subscription = Subscription(ALL, box, "plain", replaying=True)
    subscription.go_live(replayed_through=15)  # the listener has dispatched nothing yet
    subscription.deliver([Event(12), Event(13)], {})
    subscription.deliver([Event(14), Event(15), Event(16)], {})
    subscription.deliver([Event(17)], {})
    assert list(box.take()) == [b"frame 16", b"frame 17"]


def test_a_batch_subscription_takes_each_delivery_as_one_message():
    box, overflows = outbox(limit=3)
    subscription = Subscription(ALL, box, "batch")
    subscription.deliver([Event(1), Event(2)], {})
    (message,) = box.take()
    assert message == frame(
        b'{"type":"events","data":[{"id":1},{"id":2}],"timestamp":"2026-01-01T00:00:00.000000Z"}'
    )
    assert box.events == 2
    # The limit counts events, not messages: 4 waiting when more come is too many.
    subscription.deliver([Event(3), Event(4), Event(5), Event(6)], {})
    subscription.deliver([Event(7)], {})
    assert overflows == [4]
