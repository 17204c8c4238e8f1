"""Per-node analytics under /api/analytics: counts of one event type per node (with rank and
share), how far nodes are behind the best block, connected nodes gone silent, and the
implementations and versions on the network."""

from flask import Blueprint, current_app, request

from tart.protocol import EVENTS
from tart.web import event_json, filters
from tart.web.api import analytics_range
from tart.web.api.page_cache import kept
from tart.web.db import pool
from tart.web.errors import ApiError

blueprint = Blueprint("analytics_nodes", __name__, url_prefix="/api/analytics")

# Upper bounds (slots behind the best block) of the nodes-behind histogram's buckets; the
# last bucket holds the rest.
BEHIND_BUCKETS = (0, 1, 2, 5, 10, 100, 1000)


@blueprint.get("/node-counts")
@kept(analytics_range.PAGE_LIFETIME, until_commit=False, key=analytics_range.page_key)
def node_counts():
    """The Rust TART's most asked-for query: who sends how many events of a type (or of any
    of several types; of every type when none is given)."""
    args = request.args
    wanted = filters.query_filter(args).event_types
    types = sorted(wanted) if wanted is not None else None
    span = analytics_range.time_range(args)
    limit = filters.limit(args.get("limit"))
    counts = span.counts
    of_types = " WHERE event_type = ANY(%(types)s)" if types is not None else ""
    source, source_params = analytics_range.covering(span)
    rows = pool().query(
        "SELECT c.node_id, c.events, n.implementation_name, n.implementation_version,"
        " coalesce(n.is_connected, false), sum(c.events) OVER ()::bigint, count(*) OVER ()"
        f" FROM (SELECT node_id, sum(event_count)::bigint AS events FROM {source} counted"
        f"{of_types} GROUP BY node_id) c LEFT JOIN known_nodes n USING (node_id)"
        " ORDER BY c.events DESC, c.node_id LIMIT %(limit)s",
        {"start": span.start, "end": span.end, "types": types, "limit": limit, **source_params},
    )
    total = rows[0][5] if rows else 0
    ranked, rank, previous = [], 0, None
    for position, (node_id, events, name, version, connected, _, _) in enumerate(rows, 1):
        if events != previous:
            rank, previous = position, events
        ranked.append(
            {
                "rank": rank,
                "node_id": node_id,
                "implementation_name": name,
                "implementation_version": version,
                "is_connected": connected,
                "events": events,
                "share": round(events / total, 6),
            }
        )
    return {
        "event_types": [
            {"event_type": d, "name": EVENTS[d].event_name if d in EVENTS else None} for d in types
        ]
        if types is not None
        else None,
        "from": event_json.iso(span.start),
        "to": event_json.iso(span.end),
        "bucket": counts.bucket,
        "total_events": total,
        "total_nodes": rows[0][6] if rows else 0,
        "nodes": ranked,
    }


@blueprint.get("/nodes-behind")
@kept(analytics_range.PAGE_LIFETIME, until_commit=False)
def nodes_behind():
    """Connected nodes by how many slots their best block is behind the network's best."""
    rows = pool().prepared(
        "SELECT node_id, implementation_name, best_slot, max(best_slot) OVER () FROM known_nodes"
        " WHERE is_connected ORDER BY best_slot NULLS FIRST, node_id"
    )
    best = rows[0][3] if rows else None
    histogram = [{"le": bound, "nodes": 0} for bound in BEHIND_BUCKETS]
    histogram.append({"le": None, "nodes": 0})
    unknown, behind = 0, []
    for node_id, name, slot, _ in rows:
        if slot is None:
            unknown += 1
            continue
        slots = best - slot
        bucket = next(
            (n for n, bound in enumerate(BEHIND_BUCKETS) if slots <= bound), len(BEHIND_BUCKETS)
        )
        histogram[bucket]["nodes"] += 1
        if slots:
            behind.append(
                {
                    "node_id": node_id,
                    "implementation_name": name,
                    "best_slot": slot,
                    "behind": slots,
                }
            )
    return {
        "best_slot": best,
        "connected_nodes": len(rows),
        "without_best_block": unknown,
        "histogram": histogram,
        "behind": behind[: filters.limit(request.args.get("limit"))],
    }


@blueprint.get("/stale-nodes")
@kept(analytics_range.PAGE_LIFETIME, until_commit=False)
def stale_nodes():
    """Connected nodes that have sent nothing for `silent_for` seconds."""
    silent_for = _seconds(
        request.args, "silent_for", current_app.config["TART_SETTINGS"].health_silent_seconds
    )
    rows = pool().prepared(
        f"SELECT node_id, implementation_name, implementation_version,"
        f" {event_json.utc('coalesce(last_seen_at, connected_at)')},"
        f" extract(epoch FROM now() - coalesce(last_seen_at, connected_at))::float8"
        f" FROM known_nodes WHERE is_connected"
        f" AND coalesce(last_seen_at, connected_at) < now() - make_interval(secs => $1)"
        f" ORDER BY coalesce(last_seen_at, connected_at), node_id",
        (silent_for,),
    )
    return {
        "silent_for": silent_for,
        "nodes": [
            {
                "node_id": node_id,
                "implementation_name": name,
                "implementation_version": version,
                "last_seen_at": seen,
                "silent_seconds": round(silent, 3),
            }
            for node_id, name, version, seen, silent in rows
        ],
    }


@blueprint.get("/implementations")
@kept(analytics_range.PAGE_LIFETIME, until_commit=False)
def implementations():
    """Nodes, connected nodes and events stored by implementation and version."""
    rows = pool().prepared(
        "SELECT implementation_name, implementation_version, count(*),"
        " count(*) FILTER (WHERE is_connected), coalesce(sum(event_count), 0)::bigint"
        " FROM known_nodes GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2"
    )
    total = sum(row[2] for row in rows)
    return {
        "total_nodes": total,
        "implementations": [
            {
                "implementation_name": name,
                "implementation_version": version,
                "nodes": nodes,
                "connected_nodes": connected,
                "events": events,
                "share": round(nodes / total, 6),
            }
            for name, version, nodes, connected, events in rows
        ],
    }


def _seconds(args, name, default):
    text = args.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 365 * 86400:
        raise ApiError(
            400, f"{name} must be a number of seconds, more than 0", parameter=name, value=text
        )
    return value
