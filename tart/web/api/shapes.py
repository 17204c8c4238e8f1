"""The JSON shapes of the API's objects (the seed README's), built from database rows.

Times are ISO 8601 in UTC with a `Z` and always six fractional digits: JIP-3 timestamps are
microseconds, and a fixed width keeps the strings sortable. PostgreSQL writes them (see utc()),
which spares the web worker a datetime per time.
"""

from datetime import UTC, datetime

import orjson

from tart.protocol import EVENTS

EVENT_NAMES = {discriminator: event.event_name for discriminator, event in EVENTS.items()}


def iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def utc(column: str) -> str:
    """SQL for the timestamptz `column` written as iso() writes it (the web pool's sessions
    have TimeZone UTC); NULL stays NULL."""
    return f"""to_char({column}, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""


def event_columns(rows: str) -> str:
    """The columns event() reads, in its order, of `rows` (events or a subquery of its rows).
    The event's time is the node's clock when it sent a time TART can represent, else when TART
    received it. `data` is text, embedded unparsed."""
    return (
        f"{rows}.id, {rows}.node_id, {rows}.event_id::text, {rows}.event_type, "
        f"{utc(f'coalesce({rows}.timestamp, {rows}.created_at)')}, "
        f"{utc(f'{rows}.created_at')}, {rows}.data::text"
    )


def event(row, node_name: str | None, node_version: str | None) -> dict:
    event_id, node_id, jip3_id, event_type, timestamp, received_at, data = row
    return {
        "id": event_id,
        "node_id": node_id,
        "event_id": int(jip3_id),
        "event_type": event_type,
        "event_name": EVENT_NAMES.get(event_type),
        "timestamp": timestamp,
        "received_at": received_at,
        "data": orjson.Fragment(data),
        "node_name": node_name,
        "node_version": node_version,
    }


# The columns node_summary() reads, in its order.
NODE_COLUMNS = (
    f"node_id, implementation_name, implementation_version, is_connected, "
    f"event_count, {utc('connected_at')}, {utc('last_seen_at')}, "
    f"{utc('disconnected_at')}, best_slot, best_hash, finalized_slot, finalized_hash"
)


def node_summary(row) -> dict:
    (
        node_id,
        name,
        version,
        is_connected,
        event_count,
        connected_at,
        last_seen_at,
        disconnected_at,
        best_slot,
        best_hash,
        finalized_slot,
        finalized_hash,
    ) = row
    return {
        "node_id": node_id,
        # The node's Ed25519 peer id is what identifies it, so the two are the same.
        "peer_id": node_id,
        "implementation_name": name,
        "implementation_version": version,
        "is_connected": is_connected,
        "event_count": event_count,
        "connected_at": connected_at,
        "last_seen_at": last_seen_at,
        "disconnected_at": disconnected_at,
        "best_block": {"slot": best_slot, "hash": best_hash},
        "finalized_block": {"slot": finalized_slot, "hash": finalized_hash},
    }
