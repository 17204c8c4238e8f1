"""Frames that did not decode, newest first: GET /api/errors and GET /api/nodes/<node_id>/errors.

This is where a node implementer looks first: which event, which field, at which byte offset,
why, and the frame's bytes to reproduce it. /api/errors also shows the connections that never
became a node: garbage or an HTTP request sent to the telemetry port, node information that did
not decode (node_id null).
"""

from flask import Blueprint, request

from tart.web import filters
from tart.web.api.nodes import matching_nodes, node_name_and_version
from tart.web.db import pool
from tart.web.event_json import utc

blueprint = Blueprint("decode_errors", __name__, url_prefix="/api")

COLUMNS = (
    f"id, node_id, session_id, event_id, discriminator, event_name, field_path, byte_offset, "
    f"reason, encode(raw, 'hex'), length(raw), {utc('received_at')}"
)
_KEYS = (
    "id",
    "node_id",
    "session_id",
    "event_id",
    "discriminator",
    "event_name",
    "field_path",
    "byte_offset",
    "reason",
    "raw",
    "raw_length",
    "received_at",
)


@blueprint.get("/errors")
def all_decode_errors():
    chosen = filters.query_filter(request.args)
    if chosen.event_types is not None:
        raise filters.FilterError(
            "event_type does not apply to decode errors", "event_type", request.args["event_type"]
        )
    conditions, values = [], []
    if chosen.node_id is not None:
        values.append(matching_nodes(chosen.node_id))
        conditions.append(f"node_id = ANY(${len(values)}::text[])")
    if "session" in request.args:
        values.append(filters.item_id(request.args["session"], "session", "a session"))
        conditions.append(f"session_id = ${len(values)}")
    return error_page(conditions, values)


@blueprint.get("/nodes/<node_id>/errors")
def node_decode_errors(node_id):
    node_id = filters.whole_node_id(node_id)
    found = error_page(["node_id = $1"], [node_id])
    if not found["errors"]:
        node_name_and_version(node_id)  # 404 for an unknown node
    return found


def error_page(conditions: list[str], values: list) -> dict:
    """A page of the decode errors meeting `conditions` (SQL over $1… standing for `values`),
    paged by id as events are: newest first, or oldest first after `since_id`."""
    args = request.args
    limit = filters.limit(args.get("limit"))
    conditions, values = list(conditions), list(values)
    before, since = (
        None if args.get(name) is None else filters.item_id(args[name], name, "an error")
        for name in ("before_id", "since_id")
    )
    for cursor, operator in ((before, "<"), (since, ">")):
        if cursor is not None:
            values.append(cursor)
            conditions.append(f"id {operator} ${len(values)}")
    values.append(limit + 1)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    order = "DESC" if since is None else "ASC"
    rows = pool().prepared(
        f"SELECT {COLUMNS} FROM decode_errors {where} ORDER BY id {order} LIMIT ${len(values)}",
        values,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    if since is not None:
        following = rows[-1][0] if rows else since
    else:
        following = rows[-1][0] if more else None
    return {"errors": [decode_error(row) for row in rows], "next": following, "has_more": more}


def decode_error(row) -> dict:
    error = dict(zip(_KEYS, row, strict=True))
    if error["event_id"] is not None:
        error["event_id"] = int(error["event_id"])
    error["raw"] = f"0x{error['raw']}"
    return error
