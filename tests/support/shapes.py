"""The keys of the API's answers: the seed README's (tart-backend README, API Reference), and
what TART adds to them."""

SEED_NODE = {
    "node_id",
    "peer_id",
    "implementation_name",
    "implementation_version",
    "is_connected",
    "event_count",
    "connected_at",
    "last_seen_at",
    "disconnected_at",
}
NODE_ADDED = {"best_block", "finalized_block"}
SEED_NODE_DETAILS = {
    "node_id",
    "peer_id",
    "implementation_name",
    "implementation_version",
    "node_info",
    "is_connected",
    "event_count",
    "connected_at",
    "last_seen_at",
}
NODE_DETAILS_ADDED = NODE_ADDED | {"disconnected_at", "first_seen", "sessions"}
SEED_EVENT = {
    "id",
    "node_id",
    "event_id",
    "event_type",
    "timestamp",
    "data",
    "node_name",
    "node_version",
}
EVENT_ADDED = {"received_at", "event_name"}
SEED_STATS = {"total_blocks_authored", "best_block", "finalized_block"}
STATS_ADDED = {"total_nodes", "connected_nodes", "total_events"}
