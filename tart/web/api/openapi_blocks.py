"""The OpenAPI entries of block propagation and the work-package pipeline (tart.web.api.blocks,
tart.web.api.workpackages), merged into /api/openapi.json by tart.web.api.openapi."""

from tart.web.api.blocks import MAX_SLOT, PERCENTILES
from tart.web.api.openapi_parameters import LIMIT
from tart.web.api.workpackages import (
    FAILURE_NAMES,
    PRIMARY_STAGES,
    SECONDARY_STAGES,
    STAGES,
)
from tart.web.api.workpackages import PERCENTILES as LATENCY_PERCENTILES

TIME = {"type": "string", "format": "date-time"}
HASH = {"type": "string", "pattern": "^0x[0-9a-f]{64}$"}
ERROR = {"$ref": "#/components/responses/Error"}


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema, description=None):
    return {**schema, "nullable": True, **({"description": description} if description else {})}


def _object(properties):
    return {"type": "object", "properties": properties, "required": list(properties)}


def _milliseconds(percentiles, description):
    return _object({f"p{p}": _nullable({"type": "number"}, description) for p in percentiles})


def _get(summary, schema, parameters, description):
    return {
        "get": {
            "summary": summary,
            "description": description,
            "parameters": parameters,
            "responses": {
                "200": {
                    "description": summary,
                    "content": {"application/json": {"schema": schema}},
                },
                **{code: ERROR for code in ("400", "404", "503")},
            },
        }
    }


_SPREAD = (
    "Time from the first node having the block until ⌈p·N⌉ of the N nodes that had it did "
    "(ms); null when none had it."
)
_BLOCK = {
    "header_hash": HASH,
    "slot": _nullable({"type": "integer"}),
    "author_node_id": _nullable({"type": "string"}, "The node that sent Authored for it."),
    "first_seen_at": {**TIME, "description": "When TART received its first event."},
    "reporting_nodes": {"type": "integer", "description": "Nodes with any event about it."},
    "nodes_had": {"type": "integer", "description": "Nodes that had it (N)."},
    "spread_ms": _milliseconds(PERCENTILES, _SPREAD + " On TART's receive clock."),
    "spread_node_ms": _milliseconds(PERCENTILES, _SPREAD + " On the nodes' own clocks."),
}
_SIGHTING = {
    "node_id": {"type": "string"},
    "implementation_name": _nullable({"type": "string"}),
    **{
        f"{kind}_{clock}": _nullable(TIME)
        for kind in ("authored", "announced", "received", "importing", "imported", "had")
        for clock in ("at", "time")
    },
    "failure": _nullable({"type": "string"}, "Reason of block verification/execution failed."),
}
_NODE = _object(
    {"node_id": {"type": "string"}, "implementation_name": _nullable({"type": "string"})}
)
_STAGE = {"type": "string", "enum": list(STAGES)}
_FAILURE_NAME = {"type": "string", "enum": sorted(FAILURE_NAMES.values())}


def _funnel(stages):
    return _object(
        {
            "stages": {
                "type": "array",
                "items": _object(
                    {
                        "stage": {"type": "string", "enum": list(stages)},
                        "count": {"type": "integer"},
                        "latency_ms": _milliseconds(
                            LATENCY_PERCENTILES,
                            "From the pipeline's first event, on the node's clock.",
                        ),
                    }
                ),
            },
            "failed": {"type": "integer"},
            "duplicate": {"type": "integer"},
        }
    )


SCHEMAS = {
    "BlockPropagation": _object(_BLOCK),
    "BlockPropagationDetails": _object(
        {
            **_BLOCK,
            "nodes": {"type": "array", "items": _object(_SIGHTING)},
            "never_had": {
                "type": "array",
                "items": _NODE,
                "description": "Nodes connected within a slot of its first sighting that never "
                "had it.",
            },
        }
    ),
    "WorkPackageJourney": _object(
        {
            "work_package_hash": HASH,
            "core": _nullable({"type": "integer"}),
            "first_seen_at": TIME,
            "furthest_stage": _nullable(_STAGE),
            "pipelines": {
                "type": "array",
                "items": _object(
                    {
                        "node_id": {"type": "string"},
                        "implementation_name": _nullable({"type": "string"}),
                        "session_id": {"type": "integer"},
                        "submission_event_id": {
                            "type": "integer",
                            "description": "JIP-3 event ID of its submission (90) or "
                            "being-shared (91) event in the session.",
                        },
                        "role": _nullable({"type": "string", "enum": ["primary", "secondary"]}),
                        "created_at": TIME,
                        "duplicate": {"type": "boolean"},
                        "guarantees_sent": {"type": "integer"},
                        "furthest_stage": _nullable(_STAGE),
                        "stages": _object({stage: _nullable(TIME) for stage in STAGES}),
                        "failed": _nullable(TIME),
                        "failure": _nullable({"type": "string"}),
                        "failures": {
                            "type": "array",
                            "items": _object(
                                {
                                    "event_type": {"type": "integer"},
                                    "event_name": _FAILURE_NAME,
                                    "reason": {"type": "string"},
                                    "received_at": TIME,
                                    "timestamp": _nullable(TIME),
                                }
                            ),
                        },
                    }
                ),
            },
        }
    ),
    "WorkPackages": _object(
        {
            "since": TIME,
            "until": TIME,
            "work_packages": {
                "type": "array",
                "items": _object(
                    {
                        "work_package_hash": HASH,
                        "core": _nullable({"type": "integer"}),
                        "first_seen_at": TIME,
                        "furthest_stage": _nullable(_STAGE),
                        "pipelines": {"type": "integer"},
                        "failures": {"type": "integer"},
                    }
                ),
            },
            "funnel": _object(
                {"primary": _funnel(PRIMARY_STAGES), "secondary": _funnel(SECONDARY_STAGES)}
            ),
            "failures": {
                "type": "array",
                "items": _object(
                    {
                        "event_type": {"type": "integer"},
                        "event_name": _FAILURE_NAME,
                        "reason": {"type": "string"},
                        "count": {"type": "integer"},
                    }
                ),
            },
        }
    ),
}

_WINDOW = [
    {
        "name": name,
        "in": "query",
        "description": description + " ISO 8601; UTC unless it has an offset.",
        "schema": {"type": "string", "format": "date-time"},
    }
    for name, description in (
        ("since", "Start of the window (default: an hour before `until`)."),
        ("until", "End of the window, exclusive (default: now)."),
    )
]

PATHS = {
    "/api/blocks": _get(
        "The latest blocks by slot, with their propagation spreads.",
        _object({"blocks": {"type": "array", "items": _ref("BlockPropagation")}}),
        [LIMIT],
        "A node had a block from its first authored, received (block transferred), importing "
        "or imported (block executed) event for it. See docs/BLOCKS.md.",
    ),
    "/api/blocks/{block}": _get(
        "One slot's blocks (or one block): who authored it, when each node heard of, received, "
        "imported it, the spreads, and the nodes that never had it.",
        _object({"blocks": {"type": "array", "items": _ref("BlockPropagationDetails")}}),
        [
            {
                "name": "block",
                "in": "path",
                "required": True,
                "description": f"A slot (0 to {MAX_SLOT}: every block reported for it) or a "
                "header hash (64 hex characters, optionally prefixed 0x).",
                "schema": {"type": "string", "pattern": "^([0-9]{1,10}|(0[xX])?[0-9a-fA-F]{64})$"},
            }
        ],
        "Nodes are listed in the order TART received their first sign of having the block.",
    ),
    "/api/workpackages": _get(
        "The latest work-packages, the funnel of their pipelines and failures by reason, over "
        "a window.",
        _ref("WorkPackages"),
        [LIMIT, *_WINDOW],
        "Work-packages first seen in the window, newest first; the funnel counts the pipelines "
        "(one per guarantor and work-package) that began in it, primary (a builder's "
        "submission) and secondary (shared by the primary) apart.",
    ),
    "/api/workpackages/{work_package_hash}": _get(
        "A work-package's journey: each guarantor's pipeline, its stages and failures.",
        _ref("WorkPackageJourney"),
        [
            {
                "name": "work_package_hash",
                "in": "path",
                "required": True,
                "description": "64 hex characters, optionally prefixed 0x.",
                "schema": {"type": "string", "pattern": "^(0[xX])?[0-9a-fA-F]{64}$"},
            }
        ],
        "Events are linked by their JIP-3 event IDs within each node's session.",
    ),
}
