"""The REST API under /api, one blueprint per concern (the seed README's endpoints)."""

from tart.web.api import (
    blocks,
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
        event_types,
        blocks,
        workpackages,
        openapi,
    )
)
