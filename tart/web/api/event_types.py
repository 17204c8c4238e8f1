"""GET /api/event-types: the JIP-3 events TART decodes, by category (the spec's sections).

Clients label and group events with it (the dashboard's filters and its chart by category)
rather than keeping a copy of the protocol's tables.
"""

from flask import Blueprint

from tart.protocol import CATEGORIES, EVENTS

blueprint = Blueprint("event_types", __name__, url_prefix="/api")

EVENT_TYPES = {
    "categories": [
        {"key": category.key, "label": category.heading, "event_types": category.discriminators}
        for category in CATEGORIES
    ],
    "event_types": [
        {
            "event_type": discriminator,
            "event_name": event.event_name,
            "title": event.title,
            "category": event.category.key,
        }
        for discriminator, event in sorted(EVENTS.items())
    ],
}


@blueprint.get("/event-types")
def event_types():
    return EVENT_TYPES
