"""GET /api/nodes/<node_id>/errors: the frames of a node that did not decode, newest first.

This is where a node implementer looks first: which event, which field, at which byte offset,
why, and the frame's bytes to reproduce it.
"""

from flask import Blueprint, request

from tart.web.api import params, shapes
from tart.web.api.nodes import node_name_and_version
from tart.web.db import pool

blueprint = Blueprint("decode_errors", __name__, url_prefix="/api")


@blueprint.get("/nodes/<node_id>/errors")
def node_decode_errors(node_id):
    node_id = params.node_id(node_id)
    limit = params.limit(request.args)
    before = params.id_cursor(request.args, "before_id")
    node_name_and_version(node_id)  # 404 for an unknown node
    older = "" if before is None else "AND id < $3"
    rows = pool().prepared(
        f"SELECT id, session_id, event_id, discriminator, event_name, field_path, byte_offset, "
        f"reason, encode(raw, 'hex'), length(raw), {shapes.utc('received_at')} "
        f"FROM decode_errors "
        f"WHERE node_id = $1 {older} ORDER BY id DESC LIMIT $2",
        (node_id, limit) if before is None else (node_id, limit, before),
    )
    return {
        "errors": [
            {
                "id": error_id,
                "node_id": node_id,
                "session_id": session_id,
                "event_id": None if event_id is None else int(event_id),
                "discriminator": discriminator,
                "event_name": event_name,
                "field_path": field_path,
                "byte_offset": byte_offset,
                "reason": reason,
                "raw": f"0x{raw}",
                "raw_length": raw_length,
                "received_at": received_at,
            }
            for (
                error_id,
                session_id,
                event_id,
                discriminator,
                event_name,
                field_path,
                byte_offset,
                reason,
                raw,
                raw_length,
                received_at,
            ) in rows
        ],
        "next": rows[-1][0] if len(rows) == limit else None,
    }
