"""Telemetry connections: GET /api/sessions, newest first, with why each closed.

A connection that never became a node (a port scan that sent bytes, an HTTP request sent to the
telemetry port, node information that did not decode) has a session with node_id null; its
close_reason says what went wrong.
"""

from flask import Blueprint, request

from tart.web import filters
from tart.web.api import shapes
from tart.web.api.nodes import matching_nodes
from tart.web.db import pool

blueprint = Blueprint("sessions", __name__, url_prefix="/api")


@blueprint.get("/sessions")
def recent_sessions():
    args = request.args
    chosen = filters.query_filter(args)
    if chosen.event_types is not None:
        raise filters.FilterError(
            "event_type does not apply to sessions", "event_type", args["event_type"]
        )
    limit = filters.limit(args.get("limit"))
    conditions, values = [], []
    if chosen.node_id is not None:
        values.append(matching_nodes(chosen.node_id))
        conditions.append(f"node_id = ANY(${len(values)}::text[])")
    if "before_id" in args:
        values.append(filters.item_id(args["before_id"], "before_id", "a session"))
        conditions.append(f"id < ${len(values)}")
    values.append(limit + 1)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    rows = pool().prepared(
        f"SELECT {shapes.SESSION_COLUMNS} FROM sessions {where} "
        f"ORDER BY id DESC LIMIT ${len(values)}",
        values,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "sessions": [shapes.session(row) for row in rows],
        "next": rows[-1][0] if more else None,
        "has_more": more,
    }
