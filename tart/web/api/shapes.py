"""The JSON shapes of the API's nodes (the seed README's) and sessions, built from database
rows. Events are rendered by tart.web.event_json, for REST and live alike; times are written as
it writes them."""

from tart.web.event_json import utc

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
        # Beyond the seed's shape: how far each node has got, for a table of nodes.
        "best_block": {"slot": best_slot, "hash": best_hash},
        "finalized_block": {"slot": finalized_slot, "hash": finalized_hash},
    }


# The columns session() reads, in its order.
SESSION_COLUMNS = (
    f"id, node_id, remote_address, protocol_version, {utc('opened_at')}, {utc('closed_at')}, "
    f"close_reason, events_received, events_stored, events_rate_limited, events_undecodable"
)
_SESSION_KEYS = (
    "id",
    "node_id",
    "remote_address",
    "protocol_version",
    "opened_at",
    "closed_at",
    "close_reason",
    "events_received",
    "events_stored",
    "events_rate_limited",
    "events_undecodable",
)


def session(row) -> dict:
    return dict(zip(_SESSION_KEYS, row, strict=True))
