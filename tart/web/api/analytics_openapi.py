"""The OpenAPI description of /api/analytics (merged into /api/openapi.json by
tart.web.api.openapi)."""

from tart.web import filters
from tart.web.api import analytics_range
from tart.web.api.analytics_nodes import BEHIND_BUCKETS
from tart.web.api.analytics_series import GROUPINGS


def _object(properties):
    return {"type": "object", "properties": properties, "required": list(properties)}


def _nullable(kind, **extra):
    return {"type": kind, "nullable": True, **extra}


def _array(items):
    return {"type": "array", "items": items}


def _query(name, description, schema, example=None):
    parameter = {"name": name, "in": "query", "description": description, "schema": schema}
    if example is not None:
        parameter["example"] = example
    return parameter


def _get(summary, schema, *parameters, description):
    return {
        "get": {
            "summary": summary,
            "description": description,
            "parameters": list(parameters),
            "responses": {
                "200": {
                    "description": summary,
                    "content": {"application/json": {"schema": schema}},
                },
                "400": {"$ref": "#/components/responses/Error"},
                "503": {"$ref": "#/components/responses/Error"},
            },
        }
    }


TIME = {"type": "string", "format": "date-time"}
RANGE_DESCRIPTION = (
    "`from` and `to` are ISO 8601 times or Unix seconds (default: the last hour). Answered "
    f"from the event counts by minute for ranges up to {analytics_range.MINUTE_RANGE.days} days "
    "within TART_MINUTE_AGGREGATE_RETENTION_DAYS, by hour beyond; the range is widened to whole "
    "buckets. Counts are by TART's receive time and include the current bucket."
)
FROM = _query("from", "Start of the range.", {"type": "string"}, "2026-12-06T12:00:00Z")
TO = _query("to", "End of the range (default: now).", {"type": "string"}, "1765026000")
LIMIT = _query(
    "limit",
    f"How many items (default {filters.DEFAULT_LIMIT}).",
    {"type": "integer", "minimum": 1, "maximum": filters.MAX_LIMIT},
)
EVENT_TYPES = _query(
    "event_type",
    "JIP-3 discriminators, comma-separated.",
    {"type": "string", "pattern": "^[0-9]{1,3}(,[0-9]{1,3})*$"},
    "11",
)
NODE_DESCRIPTION = {
    "node_id": {"type": "string"},
    "implementation_name": _nullable("string"),
}

PATHS = {
    "/api/analytics/timeseries": _get(
        "Events per second over time, by event type, node or implementation.",
        _object(
            {
                "from": TIME,
                "to": TIME,
                "step": {"type": "integer", "description": "Seconds per point."},
                "bucket": {"type": "string", "enum": ["minute", "hour"]},
                "by": {"type": "string", "enum": list(GROUPINGS)},
                "series_total": {"type": "integer", "description": "Series before `limit`."},
                "series": _array(
                    _object(
                        {
                            "key": {"type": "string"},
                            "name": _nullable("string"),
                            "points": _array(
                                _object(
                                    {
                                        "time": TIME,
                                        "events": {"type": "integer"},
                                        "events_per_second": {"type": "number"},
                                    }
                                )
                            ),
                        }
                    )
                ),
            }
        ),
        FROM,
        TO,
        _query(
            "step",
            "Seconds per point, a multiple of the bucket (default: about "
            f"{analytics_range.DEFAULT_POINTS} points; at most {analytics_range.MAX_POINTS}).",
            {"type": "integer", "minimum": 60},
        ),
        _query(
            "by", "What a series is (default type).", {"type": "string", "enum": list(GROUPINGS)}
        ),
        EVENT_TYPES,
        _query(
            "node_id",
            "Only this node (its id or the id's first hex digits).",
            {"type": "string", "pattern": "^(0[xX])?[0-9a-fA-F]{1,64}$"},
        ),
        LIMIT,
        description=RANGE_DESCRIPTION
        + " Series are ranked by their events; the step holding now is divided by its elapsed "
        "seconds.",
    ),
    "/api/analytics/node-counts": _get(
        "Per node: events of the chosen type(s) in a range, with rank and share.",
        _object(
            {
                "event_types": {
                    **_array(
                        _object({"event_type": {"type": "integer"}, "name": _nullable("string")})
                    ),
                    "nullable": True,
                    "description": "null: events of every type.",
                },
                "from": TIME,
                "to": TIME,
                "bucket": {"type": "string", "enum": ["minute", "hour"]},
                "total_events": {"type": "integer"},
                "total_nodes": {"type": "integer", "description": "Nodes with any such event."},
                "nodes": _array(
                    _object(
                        {
                            "rank": {"type": "integer"},
                            **NODE_DESCRIPTION,
                            "implementation_version": _nullable("string"),
                            "is_connected": {"type": "boolean"},
                            "events": {"type": "integer"},
                            "share": {"type": "number", "description": "Of total_events."},
                        }
                    )
                ),
            }
        ),
        {**EVENT_TYPES, "description": "JIP-3 discriminators, comma-separated (default: all)."},
        FROM,
        TO,
        LIMIT,
        description=RANGE_DESCRIPTION + " Equal counts share a rank (1, 2, 2, 4).",
    ),
    "/api/analytics/nodes-behind": _get(
        "Connected nodes by how far their best block is behind the network's best.",
        _object(
            {
                "best_slot": _nullable("integer"),
                "connected_nodes": {"type": "integer"},
                "without_best_block": {"type": "integer"},
                "histogram": _array(
                    _object(
                        {
                            "le": _nullable("integer", description="Slots behind, at most."),
                            "nodes": {"type": "integer"},
                        }
                    )
                ),
                "behind": _array(
                    _object(
                        {
                            **NODE_DESCRIPTION,
                            "best_slot": {"type": "integer"},
                            "behind": {"type": "integer"},
                        }
                    )
                ),
            }
        ),
        LIMIT,
        description=f"Histogram buckets: at most {', '.join(map(str, BEHIND_BUCKETS))} slots "
        "behind, then the rest (`le` null). `behind` lists the nodes not at the best slot, "
        "furthest first.",
    ),
    "/api/analytics/stale-nodes": _get(
        "Connected nodes that have sent nothing for a while.",
        _object(
            {
                "silent_for": {"type": "number"},
                "nodes": _array(
                    _object(
                        {
                            **NODE_DESCRIPTION,
                            "implementation_version": _nullable("string"),
                            "last_seen_at": TIME,
                            "silent_seconds": {"type": "number"},
                        }
                    )
                ),
            }
        ),
        _query(
            "silent_for",
            "Seconds of silence (default TART_HEALTH_SILENT_SECONDS).",
            {"type": "number", "exclusiveMinimum": 0},
            "30",
        ),
        description="A node's last event is as the ingest writer records it, about once a "
        "second under load.",
    ),
    "/api/analytics/implementations": _get(
        "Nodes by implementation and version.",
        _object(
            {
                "total_nodes": {"type": "integer"},
                "implementations": _array(
                    _object(
                        {
                            "implementation_name": _nullable("string"),
                            "implementation_version": _nullable("string"),
                            "nodes": {"type": "integer"},
                            "connected_nodes": {"type": "integer"},
                            "events": {"type": "integer"},
                            "share": {"type": "number", "description": "Of all nodes."},
                        }
                    )
                ),
            }
        ),
        description="Every node TART has heard from, by its latest node information.",
    ),
    "/api/analytics/health": _get(
        "The network's health: a score from 0 to 100 and the anomalies behind it.",
        _object(
            {
                "score": {"type": "integer", "minimum": 0, "maximum": 100},
                "status": {"type": "string", "enum": ["healthy", "degraded", "unhealthy"]},
                "since": TIME,
                "events": {"type": "integer"},
                "connected_nodes": {"type": "integer"},
                "best_slot": _nullable("integer"),
                "anomalies": _array(
                    {
                        "type": "object",
                        "properties": {
                            "kind": {
                                "type": "string",
                                "enum": [
                                    "failure_rate",
                                    "nodes_behind",
                                    "nodes_silent",
                                    "dropped_events",
                                    "decode_errors",
                                ],
                            },
                            "category": {"type": "string"},
                            "message": {"type": "string"},
                            "value": {"type": "number"},
                            "threshold": {"type": "number"},
                            "penalty": {"type": "number"},
                        },
                        "required": ["kind", "message", "value", "threshold", "penalty"],
                    }
                ),
            }
        ),
        description="Over the last TART_HEALTH_WINDOW seconds and the nodes as they are now; "
        "thresholds are the TART_HEALTH_* settings (docs/ANALYTICS.md).",
    ),
}
