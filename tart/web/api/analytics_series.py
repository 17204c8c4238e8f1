"""GET /api/analytics/timeseries: events per second by event type, category, node or
implementation.

Served from the event counts (tart.web.api.analytics_range), never from raw events: a range of
any length reads at most one row per (bucket, node, event type).
"""

from datetime import UTC, datetime, timedelta

from flask import Blueprint, request

from tart.protocol import CATEGORIES, EVENTS
from tart.web import event_json, filters
from tart.web.api import analytics_range
from tart.web.api.page_cache import kept
from tart.web.db import pool
from tart.web.errors import ApiError

blueprint = Blueprint("analytics_series", __name__, url_prefix="/api/analytics")

# What a series is keyed by: the SQL of its key, and the join it needs.
GROUPINGS = {
    "type": ("c.event_type::text", ""),
    # By type in SQL, then added up by the spec's section each type is in.
    "category": ("c.event_type::text", ""),
    "node": ("c.node_id", ""),
    "implementation": (
        "coalesce(n.implementation_name, 'unknown')",
        " LEFT JOIN known_nodes n ON n.node_id = c.node_id",
    ),
}


@blueprint.get("/timeseries")
@kept(analytics_range.PAGE_LIFETIME, until_commit=False)
def timeseries():
    args = request.args
    by = args.get("by", "type")
    if by not in GROUPINGS:
        raise ApiError(400, f"by must be one of {', '.join(GROUPINGS)}", parameter="by", value=by)
    span = analytics_range.time_range(args)
    step = analytics_range.step(args, span)
    limit = filters.limit(args.get("limit"))
    wanted = filters.query_filter(args)
    types = sorted(wanted.event_types) if wanted.event_types is not None else None
    node_id = wanted.node_id
    counts = span.counts
    key, join = GROUPINGS[by]
    sql = (
        f"SELECT {key}, floor(extract(epoch FROM c.{counts.bucket} - %(start)s) / %(step)s)::int,"
        f" sum(c.event_count)::bigint FROM {counts.table} c{join}"
        f" WHERE c.{counts.bucket} >= %(start)s AND c.{counts.bucket} < %(end)s"
        + (" AND c.event_type = ANY(%(types)s)" if types is not None else "")
        + (" AND c.node_id LIKE %(node_id)s" if node_id else "")
        + " GROUP BY 1, 2"
    )
    rows = pool().query(
        sql,
        {
            "start": span.start,
            "end": span.end,
            "step": step,
            "types": types,
            "node_id": f"{node_id}%",
        },
    )
    steps = -int(-span.seconds // step)
    series = {}
    for name, index, count in rows:
        if by == "category":
            name = EVENTS[int(name)].category.key
        series.setdefault(name, [0] * steps)[index] += count
    ranked = sorted(series.items(), key=lambda item: (-sum(item[1]), item[0]))
    now = datetime.now(UTC)
    return {
        "from": event_json.iso(span.start),
        "to": event_json.iso(span.end),
        "step": step,
        "bucket": counts.bucket,
        "by": by,
        "series_total": len(series),
        "series": [
            {**_describe(by, name), "points": _points(span.start, step, counts_, now)}
            for name, counts_ in ranked[:limit]
        ],
    }


def _describe(by, name):
    if by == "type":
        event = EVENTS.get(int(name))
        return {"key": name, "name": event.event_name if event else None}
    if by == "category":
        return {"key": name, "name": _HEADINGS[name]}
    return {"key": name, "name": name if by == "implementation" else None}


_HEADINGS = {category.key: category.heading for category in CATEGORIES}


def _points(start, step, counts, now):
    """Each step's count and rate; the step holding now is divided by its elapsed part."""
    points = []
    for index, count in enumerate(counts):
        begins = start + timedelta(seconds=index * step)
        seconds = min(step, (now - begins).total_seconds())
        points.append(
            {
                "time": event_json.iso(begins),
                "events": count,
                "events_per_second": round(count / seconds, 3) if seconds > 0 else 0.0,
            }
        )
    return points
