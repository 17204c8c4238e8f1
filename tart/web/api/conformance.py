"""How the nodes' JIP-3 encoders conform, from the counts the ingest writer keeps as it stores
events and decode errors (known_nodes.events_by_type and conformance_errors), never from the events
or decode errors themselves:

- GET /api/implementations: each implementation name and version the nodes report, with its
  figures;
- GET /api/implementations/<name>/<version>/conformance: the report of its nodes;
- GET /api/nodes/<node_id>/conformance: one node's report.

A node's counts are all it has sent, under the implementation name and version of its latest
node information.

A report's ``totals`` and ``kinds`` are those of ``tart check --json`` for the same frames, so
an implementer can compare what TART saw with what the checker says of a capture; each failure's
``first_error`` is the stored decode error of its first frame, bytes and all.
"""

from flask import Blueprint

from tart.check.tallies import TOP_ERRORS, top_errors, totals
from tart.web import filters
from tart.web.api.decode_errors import COLUMNS as ERROR_COLUMNS
from tart.web.api.decode_errors import decode_error
from tart.web.api.nodes import PAGE_LIFETIME, node_name_and_version
from tart.web.api.page_cache import kept
from tart.web.db import pool
from tart.web.errors import ApiError
from tart.web.event_json import EVENT_NAMES

blueprint = Blueprint("conformance", __name__, url_prefix="/api")

# Valid and invalid frames by node and kind, with the node's implementation name and version.
_FRAMES = (
    "SELECT implementation_name, implementation_version, node_id,"
    " k.key::smallint AS discriminator, k.value::bigint AS valid, 0::bigint AS invalid"
    " FROM known_nodes, jsonb_each_text(events_by_type) k"
    " UNION ALL SELECT implementation_name, implementation_version, node_id, discriminator,"
    " 0, count FROM conformance_errors JOIN known_nodes USING (node_id)"
)
_OF_IMPLEMENTATION = "implementation_name = $1 AND implementation_version = $2"
_OF_NODE = "node_id = $1"


@blueprint.get("/implementations")
@kept(PAGE_LIFETIME, until_commit=False)
def implementations():
    nodes = pool().prepared(
        "SELECT implementation_name, implementation_version, count(*) FROM known_nodes"
        " GROUP BY 1, 2 ORDER BY 1, 2"
    )
    kinds = {}
    for name, version, _, valid, invalid in pool().prepared(
        f"SELECT implementation_name, implementation_version, discriminator, sum(valid)::bigint,"
        f" sum(invalid)::bigint FROM ({_FRAMES}) frames GROUP BY 1, 2, 3"
    ):
        kinds.setdefault((name, version), []).append((valid, invalid))
    return {
        "implementations": [
            _implementation(name, version, count, kinds.get((name, version), []))
            for name, version, count in nodes
        ]
    }


@blueprint.get("/implementations/<name>/<version>/conformance")
@kept(PAGE_LIFETIME, until_commit=False)
def implementation_conformance(name, version):
    # PostgreSQL text cannot hold NUL, so no stored name or version has one.
    nodes = (
        0
        if "\x00" in name + version
        else pool().prepared_one(
            f"SELECT count(*) FROM known_nodes WHERE {_OF_IMPLEMENTATION}", (name, version)
        )[0]
    )
    if not nodes:
        raise ApiError(
            404,
            "no node reports this implementation name and version",
            implementation_name=name,
            implementation_version=version,
        )
    return {
        "implementation_name": name,
        "implementation_version": version,
        "nodes": nodes,
        **_report(_OF_IMPLEMENTATION, (name, version)),
    }


@blueprint.get("/nodes/<node_id>/conformance")
@kept(PAGE_LIFETIME, until_commit=False)
def node_conformance(node_id):
    node_id = filters.whole_node_id(node_id)
    name, version = node_name_and_version(node_id)  # 404 for an unknown node
    return {
        "node_id": node_id,
        "implementation_name": name,
        "implementation_version": version,
        **_report(_OF_NODE, (node_id,)),
    }


def _implementation(name, version, nodes, kinds):
    return {
        "implementation_name": name,
        "implementation_version": version,
        "nodes": nodes,
        "events": sum(valid for valid, _ in kinds),
        "decode_errors": sum(invalid for _, invalid in kinds),
        "kinds_seen": len(kinds),
        "kinds_with_errors": sum(1 for _, invalid in kinds if invalid),
    }


def _report(condition, args):
    """``totals`` and ``kinds`` of the frames matching `condition`, as tart check has them."""
    counts = pool().prepared(
        f"SELECT discriminator, sum(valid)::bigint, sum(invalid)::bigint FROM ({_FRAMES}) frames"
        f" WHERE {condition} GROUP BY 1 ORDER BY 1 NULLS LAST",
        args,
    )
    failures = pool().prepared(
        f"SELECT discriminator, field_path, byte_offset, reason, count, first_error_id, of_kind"
        f" FROM (SELECT discriminator, field_path, byte_offset, reason,"
        f" sum(count)::bigint AS count, min(first_error_id) AS first_error_id,"
        f" row_number() OVER (PARTITION BY discriminator"
        f" ORDER BY sum(count) DESC, min(first_error_id)) AS rank,"
        f" count(*) OVER (PARTITION BY discriminator) AS of_kind"
        f" FROM conformance_errors JOIN known_nodes USING (node_id) WHERE {condition}"
        f" GROUP BY discriminator, field_path, byte_offset, reason) failures"
        f" WHERE rank <= {TOP_ERRORS}",
        args,
    )
    first_errors = {
        row[0]: decode_error(row)
        for row in pool().prepared(
            f"SELECT {ERROR_COLUMNS} FROM decode_errors WHERE id = ANY($1)",
            ([failure[5] for failure in failures],),
        )
    }
    errors, distinct = {}, {}
    for kind, field_path, byte_offset, reason, count, first_error_id, kind_distinct in failures:
        distinct[kind] = kind_distinct
        errors.setdefault(kind, []).append(
            {
                "field_path": field_path,
                "byte_offset": byte_offset,
                "reason": reason,
                "count": count,
                "first_error_id": first_error_id,
                # None once the decode error itself is gone.
                "first_error": first_errors.get(first_error_id),
            }
        )
    kinds = [
        {
            "discriminator": kind,
            "name": EVENT_NAMES.get(kind),
            "frames": valid + invalid,
            "valid": valid,
            "invalid": invalid,
            "errors": top_errors(errors.get(kind, ()), key="first_error_id"),
            "distinct_errors": distinct.get(kind, 0),
        }
        for kind, valid, invalid in counts
    ]
    return {"totals": totals(kinds), "kinds": kinds}
