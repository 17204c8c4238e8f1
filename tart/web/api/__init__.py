"""The REST API under /api, one blueprint per concern (the seed README's endpoints)."""

from tart.web.api import (
    analytics_health,
    analytics_nodes,
    analytics_series,
    blocks,
    conformance,
    decode_errors,
    event_types,
    events,
    health_detailed,
    nodes,
    openapi,
    sessions,
    stats,
    workpackages,
)

BLUEPRINTS = tuple(
    module.blueprint
    for module in (
        health_detailed,
        stats,
        nodes,
        events,
        decode_errors,
        sessions,
        conformance,
        event_types,
        analytics_series,
        analytics_nodes,
        analytics_health,
        blocks,
        workpackages,
        openapi,
    )
)
