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

# What a series is keyed by: the SQL of its key over the counts summed by node or by event
# type (`g`), and the join it needs. By implementation, the counts are summed by node first, so
# that the join reads a row per (node, step) rather than per count row.
GROUPINGS = {
    "type": ("g.event_type::text", "event_type", ""),
    # By type in SQL, then added up by the spec's section each type is in.
    "category": ("g.event_type::text", "event_type", ""),
    "node": ("g.node_id", "node_id", ""),
    "implementation": (
        "coalesce(n.implementation_name, 'unknown')",
        "node_id",
        " LEFT JOIN known_nodes n ON n.node_id = g.node_id",
    ),
}


@blueprint.get("/timeseries")
@kept(analytics_range.PAGE_LIFETIME, until_commit=False, key=analytics_range.page_key)
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
    key, column, join = GROUPINGS[by]
    # Series of nodes over all event types read a row per node and bucket (schema/029).
    table = counts.by_node if column == "node_id" and types is None else counts.table
    steps = -int(-span.seconds // step)
    # Each step's counts by a range of the counts' (bucket, ...) primary key of their own: the
    # index is walked for just the range's rows whatever the table's size and the planner's
    # guess of it, where one condition over the whole range may have it read the whole table
    # (a day of the minute counts by node is a seventh of them; their heap holds dead space
    # where retention deleted old days). Over most of a table (weeks of the hourly counts) the
    # walks take about as long as reading it whole. Each step groups its rows by series; the
    # steps come as one row per series with its steps in arrays.
    sql = (
        f"SELECT key, array_agg(index), array_agg(events) FROM (SELECT {key} AS key, s.index,"
        f" sum(g.events)::bigint AS events FROM generate_series(0, %(steps)s - 1) AS s(index),"
        f" LATERAL (SELECT c.{column}, sum(c.event_count) AS events FROM {table} c"
        f" WHERE c.{counts.bucket} >= %(start)s + s.index * make_interval(secs => %(step)s)"
        f" AND c.{counts.bucket} < least(%(start)s + (s.index + 1)"
        f" * make_interval(secs => %(step)s), %(end)s)"
        + (" AND c.event_type = ANY(%(types)s)" if types is not None else "")
        + (" AND c.node_id LIKE %(node_id)s" if node_id else "")
        + f" GROUP BY 1) g{join} GROUP BY 1, 2) t GROUP BY key"
    )
    rows = pool().query(
        sql,
        {
            "start": span.start,
            "end": span.end,
            "step": step,
            "steps": steps,
            "types": types,
            "node_id": f"{node_id}%",
        },
    )
    series = {}
    for name, indexes, events in rows:
        if by == "category":
            name = EVENTS[int(name)].category.key
        per_step = series.setdefault(name, [0] * steps)
        for index, count in zip(indexes, events):
            per_step[index] += count
    ranked = sorted(series.items(), key=lambda item: (-sum(item[1]), item[0]))
    times = _step_times(span.start, step, steps)
    return {
        "from": event_json.iso(span.start),
        "to": event_json.iso(span.end),
        "step": step,
        "bucket": counts.bucket,
        "by": by,
        "series_total": len(series),
        "series": [
            {**_describe(by, name), "points": _points(times, per_step)}
            for name, per_step in ranked[:limit]
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


def _step_times(start, step, steps):
    """Each step's start as the API writes it, and its elapsed seconds: the step holding now
    is divided by its elapsed part. Worked out once for all series."""
    now = datetime.now(UTC)
    times = []
    for index in range(steps):
        begins = start + timedelta(seconds=index * step)
        times.append((event_json.iso(begins), min(step, (now - begins).total_seconds())))
    return times


def _points(times, counts):
    """Each step's count and rate."""
    return [
        {
            "time": begins,
            "events": count,
            # Six places: one event in an hour is 0.000278/s, not 0.
            "events_per_second": round(count / seconds, 6) if seconds > 0 else 0.0,
        }
        for (begins, seconds), count in zip(times, counts)
    ]
