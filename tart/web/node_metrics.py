"""GET /metrics/nodes: Prometheus series per JAM node, read from PostgreSQL.

Apart from /metrics so that operators can scrape it at its own interval and cap its samples in
Prometheus (`sample_limit`), and so that /metrics stays small whatever the network's size. Every
series of a node carries the same labels: `node_id` (64 hex), `name` (its first 8 hex digits,
for legends: JIP-3 gives nodes no name), `implementation` and `version` (from its node
information). A node that upgrades starts new series under its new version.

Cost and cardinality are bounded: the figures come from one query, run at most once per
TTL_SECONDS by each web worker (concurrent scrapes wait for it), and cover at most
TART_NODE_METRICS nodes, connected ones first, then the most recently seen.
"""

from flask import Blueprint, current_app
from prometheus_client.metrics_core import GaugeMetricFamily

from tart.web.api.stats import Cached
from tart.web.db import pool
from tart.web.errors import ApiError
from tart.web.metrics import exposition

blueprint = Blueprint("node_metrics", __name__)

TTL_SECONDS = 5.0
LABELS = ("node_id", "name", "implementation", "version")

NODES_SQL = """
SELECT node_id, implementation_name, implementation_version, is_connected,
       best_slot, finalized_slot, extract(epoch FROM last_seen_at),
       (SELECT count(*) FROM nodes), (SELECT count(*) FROM nodes WHERE is_connected)
FROM nodes
ORDER BY is_connected DESC, last_seen_at DESC NULLS LAST, node_id
LIMIT $1
"""


@blueprint.record_once
def _make_cache(state):
    limit = state.app.config["TART_SETTINGS"].node_metrics
    state.app.extensions["tart_node_metrics"] = Cached(lambda: collect(limit), TTL_SECONDS)


@blueprint.get("/metrics/nodes")
def node_metrics():
    if not current_app.config["TART_SETTINGS"].node_metrics:
        raise ApiError(404, "per-node metrics are turned off (TART_NODE_METRICS=0)")
    return exposition(current_app.extensions["tart_node_metrics"].get())


def collect(limit: int) -> list:
    rows = pool().prepared(NODES_SQL, (limit,))
    known, connected = rows[0][7:9] if rows else (0, 0)
    families = [
        GaugeMetricFamily(
            "telemetry_nodes_known", "Nodes TART has stored, exported below or not", value=known
        ),
        GaugeMetricFamily(
            "telemetry_nodes_connected",
            "Nodes with an open telemetry connection, exported below or not",
            value=connected,
        ),
    ]
    is_connected = _node_family("telemetry_node_connected", "1 while the node is connected")
    best = _node_family("telemetry_node_best_slot", "Slot of the node's best block")
    finalized = _node_family("telemetry_node_finalized_slot", "Slot of its latest finalized block")
    last_seen = _node_family(
        "telemetry_node_last_seen_timestamp_seconds",
        "When TART last received anything from the node (Unix time)",
    )
    for node_id, name, version, up, best_slot, finalized_slot, seen, *_ in rows:
        labels = [node_id, node_id[:8], name or "", version or ""]
        is_connected.add_metric(labels, 1 if up else 0)
        for family, value in ((best, best_slot), (finalized, finalized_slot), (last_seen, seen)):
            if value is not None:
                family.add_metric(labels, float(value))
    return [*families, is_connected, best, finalized, last_seen]


def _node_family(name: str, documentation: str) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=LABELS)
