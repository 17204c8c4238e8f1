"""GET /api/openapi.json: the OpenAPI 3 description of the HTTP API (tests keep it true)."""

from flask import Blueprint

import tart
from tart.web.api import openapi_blocks, params
from tart.web.api.stats import TTL_SECONDS

blueprint = Blueprint("openapi", __name__, url_prefix="/api")


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind, **extra):
    return {"type": kind, "nullable": True, **extra}


def _object(properties, required=None):
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
    }


def _json(schema, description):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _component(fields, optional=False, message=True):
    """A component of /api/health/detailed. `optional` fields are absent while it is unknown
    (the database being unreachable)."""
    properties = {
        "status": {"type": "string", "enum": ["healthy", "degraded", "unhealthy", "unknown"]},
        **({"message": {"type": "string"}} if message else {}),
        **fields,
    }
    return _object(properties, required=["status"] if optional else list(properties))


ERROR = {"$ref": "#/components/responses/Error"}
TIME = {
    "type": "string",
    "format": "date-time",
    "description": "ISO 8601, UTC, microseconds: 2025-10-28T14:30:00.000000Z",
}
HEX = {"type": "string", "pattern": "^0x[0-9a-f]*$"}

NODE_ID_PATH = {
    "name": "node_id",
    "in": "path",
    "required": True,
    "description": "The node's peer id: 64 hex characters, any case, optionally prefixed 0x.",
    "schema": {"type": "string", "pattern": "^(0[xX])?[0-9a-fA-F]{64}$"},
}
LIMIT = {
    "name": "limit",
    "in": "query",
    "description": f"How many items to return (default {params.DEFAULT_LIMIT}).",
    "schema": {
        "type": "integer",
        "minimum": 1,
        "maximum": params.MAX_LIMIT,
        "default": params.DEFAULT_LIMIT,
    },
}
BEFORE_ID = {
    "name": "before_id",
    "in": "query",
    "description": "Paging backwards: only items with a smaller id, newest first. Pass the "
    "`next` of the previous page.",
    "schema": {"type": "integer", "minimum": 0, "maximum": params.MAX_ID},
}
SINCE_ID = {
    "name": "since_id",
    "in": "query",
    "description": "Paging forwards (polling): only events with a larger id, oldest first. "
    "Pass the `next` of the previous page. Ids are assigned in commit order, so "
    "polling with since_id never misses an event.",
    "schema": {"type": "integer", "minimum": 0, "maximum": params.MAX_ID},
}
EVENT_TYPE = {
    "name": "event_type",
    "in": "query",
    "description": "Only events of this JIP-3 discriminator, or of any in a comma-separated "
    "list (e.g. `11,12,42`).",
    "schema": {"type": "string", "pattern": "^[0-9]{1,3}(,[0-9]{1,3})*$"},
    "example": "11,42",
}
NODE_ID_FILTER = {
    "name": "node_id",
    "in": "query",
    "description": "Only events of this node: its 64-hex id, or the id's first characters "
    "(every node whose id starts with them). Optionally prefixed 0x.",
    "schema": {"type": "string", "pattern": "^(0[xX])?[0-9a-fA-F]{1,64}$"},
}
EVENT_PAGE_CURSOR = (
    "Newest first, unless `since_id` is given (then oldest first). `next` is the cursor for "
    "the following page: without since_id, pass it as `before_id` (null once a page is short, "
    "i.e. there is nothing older); with since_id, pass it as `since_id` (never null: the last "
    "id returned, or since_id itself when nothing new has arrived)."
)

SCHEMAS = {
    "Error": _object(
        {
            "error": {"type": "string", "description": "What is wrong, in one sentence."},
            "detail": _nullable(
                "object",
                description="Specifics: the refused parameter and value, allowed methods, ...",
            ),
        }
    ),
    "Health": _object(
        {
            "status": {"type": "string", "enum": ["ok"]},
            "service": {"type": "string", "enum": ["tart-backend"]},
            "version": {"type": "string"},
        }
    ),
    "HealthDetailed": _object(
        {
            "status": {"type": "string", "enum": ["healthy", "degraded", "unhealthy"]},
            "timestamp": TIME,
            "components": _object(
                {
                    "database": _component(
                        {"latency_ms": _nullable("number", description="Round trip of a query.")}
                    ),
                    "ingest": _component(
                        {
                            "processes": {
                                "type": "integer",
                                "description": "Ingest processes that reported in the last 15 s.",
                            },
                            "connected_nodes": {"type": "integer"},
                            "queue_depth": {
                                "type": "integer",
                                "description": "Events waiting for the ingest writers.",
                            },
                            "queue_capacity": {
                                "type": "integer",
                                "description": "Events the ingest queues hold at most "
                                "(TART_QUEUE_SIZE each); degraded over 80 % full.",
                            },
                            "stalled_processes": {
                                "type": "integer",
                                "description": "Ingest processes with events waiting and no "
                                "commit for 10 s (degraded).",
                            },
                            "last_write_age_seconds": _nullable(
                                "number", description="Since the newest stored event arrived."
                            ),
                        },
                        optional=True,
                    ),
                    "broadcaster": _component(
                        {
                            "subscribers": {
                                "type": "integer",
                                "description": "WebSocket subscribers of all web workers.",
                            }
                        }
                    ),
                    "memory": _component(
                        {
                            "usage_percent": {
                                "type": "number",
                                "description": "Of the host's memory.",
                            }
                        },
                        message=False,
                    ),
                }
            ),
            "version": {"type": "string"},
            "uptime_seconds": {"type": "integer", "description": "Of the answering web worker."},
        }
    ),
    "Stats": _object(
        {
            "total_blocks_authored": {
                "type": "integer",
                "description": "Stored Authored events (type 42).",
            },
            "best_block": _nullable("integer", description="Highest best-block slot of any node."),
            "finalized_block": _nullable(
                "integer", description="Highest finalized slot of any node."
            ),
            "total_nodes": {"type": "integer"},
            "connected_nodes": {"type": "integer"},
            "total_events": {"type": "integer", "description": "Sum of the nodes' event_count."},
        }
    ),
    "Node": _object(
        {
            "node_id": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "peer_id": {
                "type": "string",
                "pattern": "^[0-9a-f]{64}$",
                "description": "Same as node_id.",
            },
            "implementation_name": _nullable("string"),
            "implementation_version": _nullable("string"),
            "is_connected": {"type": "boolean"},
            "event_count": {"type": "integer"},
            "connected_at": {**TIME, "nullable": True},
            "last_seen_at": {**TIME, "nullable": True},
            "disconnected_at": {**TIME, "nullable": True},
            "best_block": {
                **_ref("Block"),
                "description": "The node's latest best block (BestBlockChanged).",
            },
            "finalized_block": {
                **_ref("Block"),
                "description": "The node's latest finalized block (FinalizedBlockChanged).",
            },
        }
    ),
    "Block": _object(
        {
            "slot": _nullable("integer", description="null until the node has reported one"),
            "hash": {**HEX, "nullable": True},
        }
    ),
    "Session": _object(
        {
            "id": {"type": "integer"},
            "remote_address": {"type": "string"},
            "protocol_version": _nullable("integer"),
            "opened_at": TIME,
            "closed_at": {**TIME, "nullable": True},
            "close_reason": _nullable("string"),
            "events_received": {"type": "integer"},
            "events_stored": {"type": "integer"},
            "events_rate_limited": {"type": "integer"},
            "events_undecodable": {"type": "integer"},
        }
    ),
    "NodeDetails": {
        "allOf": [
            _ref("Node"),
            _object(
                {
                    "first_seen": TIME,
                    "node_info": _object(
                        {
                            "params": _nullable(
                                "object", description="JAM parameters, as decoded."
                            ),
                            "genesis": {**HEX, "nullable": True},
                            "flags": _nullable("integer"),
                            "gp_version": _nullable("string"),
                            "note": _nullable("string"),
                            "peer_address": _nullable("object"),
                            "protocol_version": _nullable("integer"),
                        }
                    ),
                    "sessions": {
                        "type": "array",
                        "items": _ref("Session"),
                        "description": "The 10 most recent telemetry connections, open first.",
                    },
                }
            ),
        ]
    },
    "Event": _object(
        {
            "id": {"type": "integer", "description": "TART's id, increasing in storage order."},
            "node_id": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "event_id": {"type": "integer", "description": "The JIP-3 event id on its connection."},
            "event_type": {"type": "integer", "description": "The JIP-3 discriminator."},
            "event_name": _nullable("string", description="e.g. BestBlockChanged"),
            "timestamp": {
                **TIME,
                "description": "The node's time of the event (received_at when "
                "the node's timestamp is out of range).",
            },
            "received_at": TIME,
            "data": {
                "type": "object",
                "example": {"BestBlockChanged": {"slot": 1234, "hash": "0x12ab"}},
            },
            "node_name": _nullable("string"),
            "node_version": _nullable("string"),
        }
    ),
    "EventPage": _object(
        {
            "events": {"type": "array", "items": _ref("Event")},
            "next": _nullable("integer", description=EVENT_PAGE_CURSOR),
        }
    ),
    "DecodeError": _object(
        {
            "id": {"type": "integer"},
            "node_id": {"type": "string"},
            "session_id": _nullable("integer"),
            "event_id": _nullable("integer"),
            "discriminator": _nullable("integer"),
            "event_name": _nullable("string"),
            "field_path": _nullable("string", description="e.g. BestBlockChanged.hash"),
            "byte_offset": _nullable("integer"),
            "reason": {"type": "string"},
            "raw": {**HEX, "description": "The frame as received (without its size prefix)."},
            "raw_length": {"type": "integer"},
            "received_at": TIME,
        }
    ),
    "EventTypes": _object(
        {
            "categories": {
                "type": "array",
                "description": "The spec's sections of events, in its order.",
                "items": _object(
                    {
                        "key": {"type": "string", "example": "block_authoring"},
                        "label": {
                            "type": "string",
                            "description": "The spec's section heading.",
                            "example": "Block authoring/importing events",
                        },
                        "event_types": {"type": "array", "items": {"type": "integer"}},
                    }
                ),
            },
            "event_types": {
                "type": "array",
                "items": _object(
                    {
                        "event_type": {"type": "integer", "description": "The discriminator."},
                        "event_name": {"type": "string", "example": "BestBlockChanged"},
                        "title": {
                            "type": "string",
                            "description": "The spec's heading.",
                            "example": "Best block changed",
                        },
                        "category": {"type": "string", "description": "The category's key."},
                    }
                ),
            },
        }
    ),
}


def _get(summary, response, *parameters, description=None, errors=(503,), extra=None):
    operation = {
        "summary": summary,
        "parameters": list(parameters),
        "responses": {"200": response, **{str(code): ERROR for code in errors}, **(extra or {})},
    }
    if description:
        operation["description"] = description
    return {"get": operation}


PATHS = {
    "/api/health": _get(
        "Liveness: 200 while the web process serves requests.",
        _json(_ref("Health"), "Alive"),
        errors=(),
    ),
    "/api/health/detailed": _get(
        "Each component's state.",
        _json(_ref("HealthDetailed"), "Healthy or degraded"),
        errors=(),
        extra={"503": _json(_ref("HealthDetailed"), "Unhealthy: the database is unreachable")},
    ),
    "/api/stats": _get(
        "Network-wide figures.",
        _json(_ref("Stats"), "The figures"),
        description=f"Cached for {TTL_SECONDS:g} s in each web worker (not shared between "
        f"workers).",
    ),
    "/api/nodes": _get(
        "Every node TART has heard from, connected first, then by last_seen_at.",
        _json(_object({"nodes": {"type": "array", "items": _ref("Node")}}), "The nodes"),
    ),
    "/api/nodes/{node_id}": _get(
        "One node, with its node information and recent sessions.",
        _json(_ref("NodeDetails"), "The node"),
        NODE_ID_PATH,
        errors=(400, 404, 503),
    ),
    "/api/nodes/{node_id}/events": _get(
        "A node's events.",
        _json(_ref("EventPage"), "A page of events"),
        NODE_ID_PATH,
        LIMIT,
        EVENT_TYPE,
        BEFORE_ID,
        SINCE_ID,
        errors=(400, 404, 503),
        description=EVENT_PAGE_CURSOR,
    ),
    "/api/nodes/{node_id}/errors": _get(
        "A node's frames that did not decode as JIP-3, newest first.",
        _json(
            _object(
                {
                    "errors": {"type": "array", "items": _ref("DecodeError")},
                    "next": _nullable(
                        "integer",
                        description="Pass as before_id for the next page; null at the end.",
                    ),
                }
            ),
            "A page of decode errors",
        ),
        NODE_ID_PATH,
        LIMIT,
        BEFORE_ID,
        errors=(400, 404, 503),
    ),
    "/api/events": _get(
        "Events of all nodes, or filtered.",
        _json(_ref("EventPage"), "A page of events"),
        LIMIT,
        NODE_ID_FILTER,
        EVENT_TYPE,
        BEFORE_ID,
        SINCE_ID,
        errors=(400, 503),
        description=EVENT_PAGE_CURSOR,
    ),
    "/api/event-types": _get(
        "The JIP-3 events TART decodes, and the spec's sections (categories) they are under.",
        _json(_ref("EventTypes"), "Categories and event types"),
        errors=(),
    ),
    "/api/openapi.json": _get(
        "This document.",
        {"description": "OpenAPI 3.0", "content": {"application/json": {}}},
        errors=(),
    ),
    "/metrics": _get(
        "Prometheus metrics (text exposition format); see the README's Metrics.",
        {"description": "Metrics", "content": {"text/plain": {}}},
        errors=(),
    ),
}

DOCUMENT = {
    "openapi": "3.0.3",
    "info": {
        "title": "TART",
        "version": tart.__version__,
        "description": "Telemetry of JAM networks (JIP-3), as stored by TART. Every error "
        'is JSON: {"error": ..., "detail": ...}.',
    },
    "paths": {**PATHS, **openapi_blocks.PATHS},
    "components": {
        "schemas": {**SCHEMAS, **openapi_blocks.SCHEMAS},
        "responses": {"Error": _json(_ref("Error"), "An error (400, 404, 405, 503)")},
    },
}


@blueprint.get("/openapi.json")
def document():
    return DOCUMENT
