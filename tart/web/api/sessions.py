"""Telemetry connections: GET /api/sessions, newest first, with why each closed.

A connection that never became a node (a port scan that sent bytes, an HTTP request sent to the
telemetry port, node information that did not decode) has a session with node_id null; its
close_reason says what went wrong.
"""

from flask import Blueprint, request

from tart.web import filters
from tart.web.db import pool
from tart.web.event_json import utc

blueprint = Blueprint("sessions", __name__, url_prefix="/api")

# The columns session() reads, in its order.
COLUMNS = (
    f"id, node_id, remote_address, protocol_version, {utc('opened_at')}, {utc('closed_at')}, "
    f"close_reason, events_received, events_stored, events_rate_limited, events_undecodable"
)
_KEYS = (
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
    return dict(zip(_KEYS, row, strict=True))


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
    if chosen.one_node:
        values.append(chosen.node_id)
        conditions.append(f"node_id = ${len(values)}")
    elif chosen.node_id is not None:
        values.append(chosen.node_id)
        conditions.append(f"starts_with(node_id, ${len(values)})")
    if "before_id" in args:
        values.append(filters.item_id(args["before_id"], "before_id", "session"))
        conditions.append(f"id < ${len(values)}")
    values.append(limit + 1)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    rows = pool().prepared(
        f"SELECT {COLUMNS} FROM sessions {where} ORDER BY id DESC LIMIT ${len(values)}", values
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "sessions": [session(row) for row in rows],
        "next": rows[-1][0] if more else None,
        "has_more": more,
    }
