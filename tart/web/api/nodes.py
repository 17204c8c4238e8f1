"""The nodes TART has heard from: GET /api/nodes and GET /api/nodes/<node_id>."""

from flask import Blueprint

from tart.web import filters
from tart.web.api import shapes
from tart.web.api.page_cache import kept
from tart.web.db import pool
from tart.web.errors import ApiError

blueprint = Blueprint("nodes", __name__, url_prefix="/api")

# A node's most recent sessions (telemetry connections) shown with it; open ones come first.
SESSIONS_SHOWN = 10
# Node pages are kept this long, commits or not (tart.web.api.page_cache): counters are
# written about once a second, and connections open and close without a commit of events.
PAGE_LIFETIME = 2.0


@blueprint.get("/nodes")
@kept(PAGE_LIFETIME, until_commit=False)
def list_nodes():
    rows = pool().prepared(
        f"SELECT {shapes.NODE_COLUMNS} FROM known_nodes "
        f"ORDER BY is_connected DESC, last_seen_at DESC NULLS LAST, node_id"
    )
    return {"nodes": [shapes.node_summary(row) for row in rows]}


@blueprint.get("/nodes/<node_id>")
@kept(PAGE_LIFETIME, until_commit=False)
def node_details(node_id):
    node_id = filters.whole_node_id(node_id)
    row = pool().prepared_one(
        f"SELECT {shapes.utc('first_seen')}, params, genesis, flags, gp_version, note, "
        f"peer_address, protocol_version, {shapes.NODE_COLUMNS} FROM known_nodes"
        " WHERE node_id = $1",
        (node_id,),
    )
    if row is None:
        raise _unknown(node_id)
    information, summary = row[:8], row[8:]
    first_seen, jam_params, genesis, flags, gp_version, note, peer_address, protocol_version = (
        information
    )
    return {
        **shapes.node_summary(summary),
        "first_seen": first_seen,
        "node_info": {
            "params": jam_params,
            "genesis": genesis,
            "flags": flags,
            "gp_version": gp_version,
            "note": note,
            "peer_address": peer_address,
            "protocol_version": protocol_version,
        },
        "sessions": _sessions(node_id),
    }


def node_name_and_version(node_id: str) -> tuple[str | None, str | None]:
    """The node's implementation name and version; 404 when the node is unknown."""
    row = pool().prepared_one(
        "SELECT implementation_name, implementation_version FROM known_nodes WHERE node_id = $1",
        (node_id,),
    )
    if row is None:
        raise _unknown(node_id)
    return row


def matching_nodes(prefix: str) -> list[str]:
    """The ids of the nodes whose id starts with `prefix` (a whole id is taken as it is)."""
    if len(prefix) == 64:
        return [prefix]
    rows = pool().prepared(
        "SELECT node_id FROM known_nodes WHERE starts_with(node_id, $1)", (prefix,)
    )
    return [node_id for (node_id,) in rows]


def _unknown(node_id: str) -> ApiError:
    return ApiError(404, "no node with this node_id has connected", node_id=node_id)


def _sessions(node_id: str) -> list[dict]:
    rows = pool().prepared(
        f"SELECT {shapes.SESSION_COLUMNS} FROM sessions WHERE node_id = $1 "
        f"ORDER BY closed_at IS NULL DESC, opened_at DESC LIMIT $2",
        (node_id, SESSIONS_SHOWN),
    )
    return [shapes.session(row) for row in rows]
