"""The JSON shapes of the API's objects (the seed README's), built from database rows.

Times are ISO 8601 in UTC with a `Z` and always six fractional digits: JIP-3 timestamps are
microseconds, and a fixed width keeps the strings sortable.
"""

from datetime import datetime, timezone

import orjson

from tart.protocol import EVENTS

EVENT_NAMES = {discriminator: event.event_name for discriminator, event in EVENTS.items()}


def iso(when: datetime | None) -> str | None:
    if when is None:
        return None
    return when.astimezone(timezone.utc).isoformat(timespec="microseconds")[:-6] + "Z"


# The columns event() reads, in its order. The event's time is the node's clock when it sent a
# time TART can represent, else when TART received it. `data` is text, embedded unparsed.
EVENT_COLUMNS = ("id, node_id, event_id, event_type, coalesce(node_time, received_at), "
                 "received_at, data::text")


def event(row, node_name: str | None, node_version: str | None) -> dict:
    event_id, node_id, jip3_id, event_type, timestamp, received_at, data = row
    return {
        "id": event_id,
        "node_id": node_id,
        "event_id": int(jip3_id),
        "event_type": event_type,
        "event_name": EVENT_NAMES.get(event_type),
        "timestamp": iso(timestamp),
        "received_at": iso(received_at),
        "data": orjson.Fragment(data),
        "node_name": node_name,
        "node_version": node_version,
    }


# The columns node_summary() reads, in its order.
NODE_COLUMNS = ("node_id, implementation_name, implementation_version, is_connected, "
                "event_count, connected_at, last_seen_at, disconnected_at")


def node_summary(row) -> dict:
    (node_id, name, version, is_connected, event_count, connected_at, last_seen_at,
     disconnected_at) = row
    return {
        "node_id": node_id,
        # The node's Ed25519 peer id is what identifies it, so the two are the same.
        "peer_id": node_id,
        "implementation_name": name,
        "implementation_version": version,
        "is_connected": is_connected,
        "event_count": event_count,
        "connected_at": iso(connected_at),
        "last_seen_at": iso(last_seen_at),
        "disconnected_at": iso(disconnected_at),
    }
