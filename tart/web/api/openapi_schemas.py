"""The schemas of the OpenAPI document (tart.web.api.openapi): the JSON the API answers."""

from tart.web.api.openapi_parameters import EVENT_PAGE_CURSOR


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(kind, **extra):
    return {"type": kind, "nullable": True, **extra}


def shape(properties, required=None):
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
    }


def answer(schema, description):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _component(fields, optional=False, message=True):
    """A component of /api/health/detailed. `optional` fields are absent while it is unknown
    (the database being unreachable)."""
    properties = {
        "status": {"type": "string", "enum": ["healthy", "degraded", "unhealthy", "unknown"]},
        **({"message": {"type": "string"}} if message else {}),
        **fields,
    }
    return shape(properties, required=["status"] if optional else list(properties))


ERROR = {"$ref": "#/components/responses/Error"}
TIME = {
    "type": "string",
    "format": "date-time",
    "description": "ISO 8601, UTC, microseconds: 2025-10-28T14:30:00.000000Z",
}
HEX = {"type": "string", "pattern": "^0x[0-9a-f]*$"}
HAS_MORE = {"type": "boolean", "description": "Whether more items follow this page."}
ERROR_PAGE_CURSOR = (
    "Newest first, unless `since_id` is given (then oldest first). Without since_id, pass "
    "`next` as `before_id` (null at the end); with since_id, pass it as `since_id`."
)

SCHEMAS = {
    "Error": shape(
        {
            "error": {"type": "string", "description": "What is wrong, in one sentence."},
            "detail": nullable(
                "object",
                description="Specifics: the refused parameter and value, allowed methods, ...",
            ),
        }
    ),
    "Health": shape(
        {
            "status": {"type": "string", "enum": ["ok"]},
            "service": {"type": "string", "enum": ["tart-backend"]},
            "version": {"type": "string"},
        }
    ),
    "HealthDetailed": shape(
        {
            "status": {"type": "string", "enum": ["healthy", "degraded", "unhealthy"]},
            "timestamp": TIME,
            "components": shape(
                {
                    "database": _component(
                        {"latency_ms": nullable("number", description="Round trip of a query.")}
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
                            "last_write_age_seconds": nullable(
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
    "Stats": shape(
        {
            "total_blocks_authored": {
                "type": "integer",
                "description": "Stored Authored events (type 42).",
            },
            "best_block": nullable("integer", description="Highest best-block slot of any node."),
            "finalized_block": nullable(
                "integer", description="Highest finalized slot of any node."
            ),
            "total_nodes": {"type": "integer"},
            "connected_nodes": {"type": "integer"},
            "total_events": {"type": "integer", "description": "Sum of the nodes' event_count."},
        }
    ),
    "Node": shape(
        {
            "node_id": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "peer_id": {
                "type": "string",
                "pattern": "^[0-9a-f]{64}$",
                "description": "Same as node_id.",
            },
            "implementation_name": nullable("string"),
            "implementation_version": nullable("string"),
            "is_connected": {"type": "boolean"},
            "event_count": {"type": "integer"},
            "connected_at": {**TIME, "nullable": True},
            "last_seen_at": {**TIME, "nullable": True},
            "disconnected_at": {**TIME, "nullable": True},
            "best_block": {
                **ref("Block"),
                "description": "The node's latest best block (BestBlockChanged).",
            },
            "finalized_block": {
                **ref("Block"),
                "description": "The node's latest finalized block (FinalizedBlockChanged).",
            },
        }
    ),
    "Block": shape(
        {
            "slot": nullable("integer", description="null until the node has reported one"),
            "hash": {**HEX, "nullable": True},
        }
    ),
    "Session": shape(
        {
            "id": {"type": "integer"},
            "node_id": nullable(
                "string",
                pattern="^[0-9a-f]{64}$",
                description="null for a connection whose node information never decoded.",
            ),
            "remote_address": {"type": "string", "description": "The peer's address:port."},
            "protocol_version": nullable("integer"),
            "opened_at": TIME,
            "closed_at": {**TIME, "nullable": True},
            "close_reason": nullable(
                "string", description="Why the connection ended; null while it is open."
            ),
            "events_received": {"type": "integer"},
            "events_stored": {"type": "integer"},
            "events_rate_limited": {"type": "integer"},
            "events_undecodable": {"type": "integer"},
        }
    ),
    "NodeDetails": {
        "allOf": [
            ref("Node"),
            shape(
                {
                    "first_seen": TIME,
                    "node_info": shape(
                        {
                            "params": nullable("object", description="JAM parameters, as decoded."),
                            "genesis": {**HEX, "nullable": True},
                            "flags": nullable("integer"),
                            "gp_version": nullable("string"),
                            "note": nullable("string"),
                            "peer_address": nullable("object"),
                            "protocol_version": nullable("integer"),
                        }
                    ),
                    "sessions": {
                        "type": "array",
                        "items": ref("Session"),
                        "description": "The 10 most recent telemetry connections, open first.",
                    },
                }
            ),
        ]
    },
    "Event": shape(
        {
            "id": {"type": "integer", "description": "TART's id, increasing in storage order."},
            "node_id": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "event_id": {"type": "integer", "description": "The JIP-3 event id on its connection."},
            "event_type": {"type": "integer", "description": "The JIP-3 discriminator."},
            "event_name": nullable("string", description="e.g. BestBlockChanged"),
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
            "node_name": nullable("string"),
            "node_version": nullable("string"),
        }
    ),
    "EventPage": shape(
        {
            "events": {"type": "array", "items": ref("Event")},
            "next": nullable("integer", description=EVENT_PAGE_CURSOR),
            "has_more": HAS_MORE,
        }
    ),
    "DecodeErrorPage": shape(
        {
            "errors": {"type": "array", "items": ref("DecodeError")},
            "next": nullable("integer", description=ERROR_PAGE_CURSOR),
            "has_more": HAS_MORE,
        }
    ),
    "SessionPage": shape(
        {
            "sessions": {"type": "array", "items": ref("Session")},
            "next": nullable(
                "integer", description="Pass as before_id for the next page; null at the end."
            ),
            "has_more": HAS_MORE,
        }
    ),
    "DecodeError": shape(
        {
            "id": {"type": "integer"},
            "node_id": nullable(
                "string",
                description="null for a connection that failed its handshake (no node yet).",
            ),
            "session_id": nullable("integer"),
            "event_id": nullable("integer"),
            "discriminator": nullable("integer"),
            "event_name": nullable("string"),
            "field_path": nullable("string", description="e.g. BestBlockChanged.hash"),
            "byte_offset": nullable("integer"),
            "reason": {"type": "string"},
            "raw": {**HEX, "description": "The frame as received (without its size prefix)."},
            "raw_length": {"type": "integer"},
            "received_at": TIME,
        }
    ),
    "EventTypes": shape(
        {
            "categories": {
                "type": "array",
                "description": "The spec's sections of events, in its order.",
                "items": shape(
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
                "items": shape(
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
