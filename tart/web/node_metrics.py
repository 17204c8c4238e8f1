"""GET /metrics/nodes: Prometheus series per JAM node, read from PostgreSQL.

Apart from /metrics so that operators can scrape it at its own interval and cap its samples in
Prometheus (`sample_limit`), and so that /metrics stays small whatever the network's size. Every
series of a node carries the same labels: `node_id` (64 hex), `name` (its first 8 hex digits,
for legends: JIP-3 gives nodes no name), `implementation` and `version` (from its node
information). A node that upgrades starts new series under its new version.

Cost and cardinality are bounded: the figures come from one query, rendered at most once per
TTL_SECONDS by each web worker (concurrent scrapes wait for it, later ones get the same bytes),
and cover at most TART_NODE_METRICS nodes, connected ones first, then the most recently seen,
each with at most SERIES_PER_NODE series.
They are written out here rather than through prometheus_client's families: for 2,048 nodes
that took the worker a second of CPU, during which its other clients waited.
"""

import gzip

import orjson
from flask import Blueprint, Response, current_app, request

from tart.protocol import CATEGORIES, EVENTS
from tart.web.api.stats import Cached
from tart.web.db import pool
from tart.web.errors import ApiError

blueprint = Blueprint("node_metrics", __name__)

TTL_SECONDS = 5.0
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# events_by_type as text: orjson reads it in a fraction of the time psycopg2's json module takes.
NODES_SQL = """
SELECT node_id, implementation_name, implementation_version, is_connected,
       best_slot, finalized_slot, extract(epoch FROM last_seen_at), events_undecodable,
       events_by_type::text,
       (SELECT count(*) FROM known_nodes), (SELECT count(*) FROM known_nodes WHERE is_connected)
FROM known_nodes
ORDER BY is_connected DESC, last_seen_at DESC NULLS LAST, node_id
LIMIT $1
"""
# An event type's category, by discriminator as the nodes' counts key it (the same in every
# protocol version).
_CATEGORY = {str(discriminator): event.category.key for discriminator, event in EVENTS.items()}
_GAUGES = 5  # connected, best and finalized slot, last seen, decode errors
SERIES_PER_NODE = _GAUGES + sum(1 for category in CATEGORIES if category.discriminators)


@blueprint.record_once
def _make_cache(state):
    limit = state.app.config["TART_SETTINGS"].node_metrics
    state.app.extensions["tart_node_metrics"] = Cached(lambda: _Body(render(limit)), TTL_SECONDS)


@blueprint.get("/metrics/nodes")
def node_metrics():
    if not current_app.config["TART_SETTINGS"].node_metrics:
        raise ApiError(404, "per-node metrics are turned off (TART_NODE_METRICS=0)")
    body = current_app.extensions["tart_node_metrics"].get()
    headers = {"Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(body.gzipped, content_type=CONTENT_TYPE, headers=headers)
    return Response(body.plain, content_type=CONTENT_TYPE, headers=headers)


def render(limit: int) -> bytes:
    """The exposition (Prometheus text format 0.0.4) of at most `limit` nodes."""
    rows = pool().prepared(NODES_SQL, (limit,))
    known, connected = rows[0][9:11] if rows else (0, 0)
    nodes = [(_labels(node_id, name, version), row) for node_id, name, version, *row in rows]
    out = _Exposition()
    out.family("telemetry_nodes_known", "gauge", "Nodes TART has stored, exported here or not")
    out.sample("telemetry_nodes_known", "", known)
    out.family(
        "telemetry_nodes_connected",
        "gauge",
        "Nodes with an open telemetry connection, exported here or not",
    )
    out.sample("telemetry_nodes_connected", "", connected)
    for column, name, text in (
        (0, "telemetry_node_connected", "1 while the node is connected"),
        (1, "telemetry_node_best_slot", "Slot of the node's best block"),
        (2, "telemetry_node_finalized_slot", "Slot of its latest finalized block"),
        (
            3,
            "telemetry_node_last_seen_timestamp_seconds",
            "When TART last received anything from the node (Unix time)",
        ),
    ):
        out.family(name, "gauge", text)
        for labels, row in nodes:
            out.sample(name, labels, row[column])
    out.family(
        "telemetry_node_decode_errors_total",
        "counter",
        "Frames from the node that did not decode as JIP-3 (see /api/nodes/<node_id>/errors)",
    )
    for labels, row in nodes:
        out.sample("telemetry_node_decode_errors_total", labels, row[4])
    out.family(
        "telemetry_node_events_total",
        "counter",
        "Events stored from the node, by category (JIP-3's sections); absent until one is",
    )
    for labels, row in nodes:
        for category, count in sorted(_by_category(orjson.loads(row[5])).items()):
            out.sample("telemetry_node_events_total", f'{labels},category="{category}"', count)
    return out.bytes()


def _by_category(by_type: dict) -> dict:
    """Counts by discriminator ({"11": n}) added up by category."""
    totals = {}
    for key, count in by_type.items():
        category = _CATEGORY.get(key, "unknown")
        totals[category] = totals.get(category, 0) + count
    return totals


def _labels(node_id: str, implementation: str | None, version: str | None) -> str:
    return (
        f'node_id="{node_id}",name="{node_id[:8]}",'
        f'implementation="{_escape(implementation or "")}",version="{_escape(version or "")}"'
    )


def _number(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    return repr(float(value))  # a float, or the Decimal PostgreSQL's extract() returns


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class _Exposition:
    def __init__(self):
        self._lines = []

    def family(self, name: str, kind: str, text: str) -> None:
        self._lines.append(f"# HELP {name} {text}\n# TYPE {name} {kind}\n")

    def sample(self, name: str, labels: str, value) -> None:
        """A sample, unless its value is unknown (NULL): no series rather than a made-up 0."""
        if value is not None:
            series = f"{name}{{{labels}}}" if labels else name
            self._lines.append(f"{series} {_number(value)}\n")

    def bytes(self) -> bytes:
        return "".join(self._lines).encode()


class _Body:
    """A rendered exposition, and the same gzipped (what Prometheus asks for)."""

    def __init__(self, plain: bytes):
        self.plain = plain
        self.gzipped = gzip.compress(plain, compresslevel=1)
