"""JIP-3 "Event messages": every event, defined under the spec's headings, one module a section.

Every event message is ``Timestamp ++ u8 (discriminator) ++ fields``. Each event is defined once,
with its number, heading and when it is emitted (``Event(40, "Authoring", …)``), in the module of
its section; the tables here are built from those modules. An event's JSON name is its heading
in PascalCase ("Best block changed" → ``BestBlockChanged``).
"""

from construct import Struct, Switch, this

from tart.protocol.events import (
    availability,
    block_authoring,
    block_distribution,
    bundle_recovery,
    guaranteeing,
    meta,
    networking,
    preimages,
    safrole_tickets,
    segment_recovery,
    status,
)
from tart.protocol.events.event import Category, Event
from tart.protocol.primitives import u8
from tart.protocol.types import Timestamp

# The protocol versions a node may announce in its node information; they differ only in event 61.
PROTOCOL_VERSIONS = (0, 1)

# The spec's sections of events, in its order (the generated docs follow them), each defined
# by the module of this package with its name.
SECTIONS = (
    (meta, "Meta events"),
    (status, "Status events"),
    (networking, "Networking events"),
    (block_authoring, "Block authoring/importing events"),
    (block_distribution, "Block distribution events"),
    (safrole_tickets, "Safrole ticket events"),
    (guaranteeing, "Guaranteeing events"),
    (availability, "Availability distribution events"),
    (bundle_recovery, "Bundle recovery events"),
    (segment_recovery, "Segment recovery events"),
    (preimages, "Preimage distribution events"),
)


def _defined_in(module) -> list[Event]:
    return [value for value in vars(module).values() if isinstance(value, Event)]


def _category(module, heading) -> Category:
    numbers = sorted({event.number for event in _defined_in(module)})
    category = Category(module.__name__.rpartition(".")[2], heading, tuple(numbers))
    for event in _defined_in(module):
        event.category = category
    return category


# Auditing and finality events are still "TODO." in the spec: sections without events.
CATEGORIES = (
    *(_category(module, heading) for module, heading in SECTIONS),
    Category("auditing", "Auditing events", ()),
    Category("finality", "Finality events", ()),
)

# {protocol version: {discriminator: event}}, in the spec's order.
EVENTS_BY_VERSION = {
    version: {
        event.number: event
        for module, _ in SECTIONS
        for event in sorted(_defined_in(module), key=lambda event: event.number)
        if version in event.protocol_versions
    }
    for version in PROTOCOL_VERSIONS
}
EVENTS = EVENTS_BY_VERSION[0]
EVENTS_V1 = EVENTS_BY_VERSION[1]


def _references(table):
    """``{discriminator: {field: discriminators}}``: which earlier events each Event ID field
    of an event may name ("ID of the corresponding … event"), by the headings it quotes."""
    by_heading = {event.title.lower(): discriminator for discriminator, event in table.items()}
    return {
        discriminator: {
            field: frozenset(by_heading[heading.lower()] for heading in headings)
            for field, headings in event.references.items()
        }
        for discriminator, event in table.items()
        if event.references
    }


# Bundle recovery's "Event ID (TODO, should reference auditing event)" names no kind yet.
REFERENCES_BY_VERSION = {
    version: _references(table) for version, table in EVENTS_BY_VERSION.items()
}


# Every event message starts with its Timestamp (u64), then its discriminator (u8).
DISCRIMINATOR_OFFSET = Timestamp.sizeof()
EVENT_HEADER_SIZE = DISCRIMINATOR_OFFSET + u8.sizeof()


def EventMessage(events: dict[int, Event]) -> Struct:
    """``Timestamp ++ u8 (discriminator) ++ event`` for one protocol version's event table."""
    return Struct(
        "timestamp" / Timestamp,
        "discriminator" / u8,
        "event" / Switch(this.discriminator, events),
    )


EventMessageV0 = EventMessage(EVENTS)
EventMessageV1 = EventMessage(EVENTS_V1)

__all__ = [
    "CATEGORIES",
    "DISCRIMINATOR_OFFSET",
    "EVENTS",
    "EVENTS_BY_VERSION",
    "EVENTS_V1",
    "EVENT_HEADER_SIZE",
    "PROTOCOL_VERSIONS",
    "REFERENCES_BY_VERSION",
    "Category",
    "Event",
    "EventMessage",
    "EventMessageV0",
    "EventMessageV1",
]
