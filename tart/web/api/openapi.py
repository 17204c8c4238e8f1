"""GET /api/openapi.json: the OpenAPI 3 description of the HTTP API (tests keep it true)."""

from flask import Blueprint

import tart
from tart.web.api import analytics_openapi, openapi_blocks
from tart.web.api import openapi_conformance as conformance
from tart.web.api.openapi_parameters import (
    BEFORE_ID,
    EVENT_PAGE_CURSOR,
    EVENT_TYPE,
    LIMIT,
    NODE_ID_FILTER,
    NODE_ID_PATH,
    OFFSET,
    RECEIVED_SINCE,
    RECEIVED_UNTIL,
    SESSION,
    SINCE_ID,
)
from tart.web.api.openapi_schemas import ERROR, ERROR_PAGE_CURSOR, SCHEMAS, answer, ref, shape
from tart.web.api.stats import TTL_SECONDS

blueprint = Blueprint("openapi", __name__, url_prefix="/api")


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
        answer(ref("Health"), "Alive"),
        errors=(),
    ),
    "/api/health/detailed": _get(
        "Each component's state.",
        answer(ref("HealthDetailed"), "Healthy or degraded"),
        errors=(),
        extra={"503": answer(ref("HealthDetailed"), "Unhealthy: the database is unreachable")},
    ),
    "/api/stats": _get(
        "Network-wide figures.",
        answer(ref("Stats"), "The figures"),
        description=f"Cached for {TTL_SECONDS:g} s in each web worker (not shared between "
        f"workers).",
    ),
    "/api/nodes": _get(
        "Every node TART has heard from, connected first, then by last_seen_at.",
        answer(shape({"nodes": {"type": "array", "items": ref("Node")}}), "The nodes"),
    ),
    "/api/nodes/{node_id}": _get(
        "One node, with its node information and recent sessions.",
        answer(ref("NodeDetails"), "The node"),
        NODE_ID_PATH,
        errors=(400, 404, 503),
    ),
    "/api/nodes/{node_id}/events": _get(
        "A node's events.",
        answer(ref("EventPage"), "A page of events"),
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
        answer(ref("DecodeErrorPage"), "A page of decode errors"),
        NODE_ID_PATH,
        LIMIT,
        BEFORE_ID,
        SINCE_ID,
        errors=(400, 404, 503),
    ),
    "/api/nodes/{node_id}/conformance": _get(
        "How the frames a node sent conform to JIP-3.",
        answer(ref("NodeConformance"), "The node's conformance"),
        NODE_ID_PATH,
        errors=(400, 404, 503),
        description=conformance.CONFORMANCE,
    ),
    "/api/implementations": _get(
        "Each implementation name and version the nodes report, with its figures.",
        answer(
            shape({"implementations": {"type": "array", "items": ref("Implementation")}}),
            "The implementations, by name and version",
        ),
    ),
    "/api/implementations/{name}/{version}/conformance": _get(
        "How the frames of all nodes of an implementation version conform to JIP-3.",
        answer(ref("ImplementationConformance"), "The implementation's conformance"),
        *conformance.IMPLEMENTATION_PATH,
        errors=(404, 503),
        description=conformance.CONFORMANCE,
    ),
    "/api/errors": _get(
        "Every frame that did not decode, newest first, including failed handshakes.",
        answer(ref("DecodeErrorPage"), "A page of decode errors"),
        LIMIT,
        NODE_ID_FILTER,
        SESSION,
        BEFORE_ID,
        SINCE_ID,
        errors=(400, 503),
        description="A connection whose node information did not decode, or that sent "
        "something else (e.g. an HTTP request) to the telemetry port, has an error with "
        "node_id null; its session (GET /api/sessions) says why it closed. " + ERROR_PAGE_CURSOR,
    ),
    "/api/sessions": _get(
        "Recent telemetry connections, newest first, with why each closed.",
        answer(ref("SessionPage"), "A page of sessions"),
        LIMIT,
        NODE_ID_FILTER,
        {
            **BEFORE_ID,
            "description": "Paging backwards: only sessions with a smaller id. "
            "Pass the `next` of the previous page.",
        },
        errors=(400, 503),
    ),
    "/api/events": _get(
        "Events of all nodes, or filtered.",
        answer(ref("EventPage"), "A page of events"),
        LIMIT,
        OFFSET,
        NODE_ID_FILTER,
        EVENT_TYPE,
        BEFORE_ID,
        SINCE_ID,
        RECEIVED_SINCE,
        RECEIVED_UNTIL,
        errors=(400, 503),
        description=EVENT_PAGE_CURSOR,
    ),
    "/api/event-types": _get(
        "The JIP-3 events TART decodes, and the spec's sections (categories) they are under.",
        answer(ref("EventTypes"), "Categories and event types"),
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
    "paths": {**PATHS, **analytics_openapi.PATHS, **openapi_blocks.PATHS},
    "components": {
        "schemas": {**SCHEMAS, **openapi_blocks.SCHEMAS, **conformance.SCHEMAS},
        "responses": {"Error": answer(ref("Error"), "An error (400, 404, 405, 503)")},
    },
}


@blueprint.get("/openapi.json")
def document():
    return DOCUMENT
