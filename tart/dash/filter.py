"""What the operator types to narrow the event list: event types and a node.

Terms are separated by spaces; the event types of all type terms add up, and a node term
narrows further (see EXAMPLES).
"""

import re
from dataclasses import dataclass

from tart.protocol import EVENTS

EXAMPLES = (
    ("11", "the event type with discriminator 11"),
    ("11,12 90-113", "several discriminators, and ranges of them"),
    ("block", 'every type whose name contains "block" (any case)'),
    ("node:a1b2", "the nodes whose id starts with a1b2 (0x optional)"),
    ("a1b2c3", "the same (4 or more hex digits, not all decimal)"),
)
EVENT_NAMES = {discriminator: event.event_name for discriminator, event in EVENTS.items()}
NODE_PREFIX_DIGITS = 4  # fewer hex digits than this are a number or a name, not a node

_NUMBERS = re.compile(r"^\d+(-\d+)?(,\d+(-\d+)?)*$")
_HEX = re.compile(r"^(0x)?[0-9a-f]+$")


class FilterError(ValueError):
    """The filter text does not parse; str() says which term and why."""


@dataclass(frozen=True)
class EventFilter:
    event_types: frozenset[int] | None = None  # None: every type
    node_prefix: str | None = None  # lowercase hex, no 0x; None: every node
    text: str = ""

    def __bool__(self) -> bool:
        return self.event_types is not None or self.node_prefix is not None

    def matches(self, event) -> bool:
        return (self.event_types is None or event.event_type in self.event_types) and (
            self.node_prefix is None or event.node_id.startswith(self.node_prefix)
        )


def parse_filter(text: str) -> EventFilter:
    types: set[int] | None = None
    node = None
    for term in text.lower().split():
        kind, _, value = term.rpartition(":")
        if kind == "node" or (not kind and _is_node_prefix(value)):
            node = _node_prefix(value, term)
        elif kind in ("", "type"):
            types = (types or set()) | _event_types(value, term)
        else:
            raise FilterError(f"{term!r}: only node: and type: terms exist")
    return EventFilter(
        event_types=None if types is None else frozenset(types), node_prefix=node, text=text
    )


def _is_node_prefix(value: str) -> bool:
    return (
        bool(_HEX.match(value))
        and len(value.removeprefix("0x")) >= NODE_PREFIX_DIGITS
        and (value.startswith("0x") or not value.isdigit())
    )


def _node_prefix(value: str, term: str) -> str:
    if not _HEX.match(value):
        raise FilterError(f"{term!r}: a node is the first hex digits of its id")
    return value.removeprefix("0x")


def _event_types(value: str, term: str) -> set[int]:
    if _NUMBERS.match(value):
        types = set()
        for part in value.split(","):
            first, _, last = part.partition("-")
            first, last = int(first), int(last or first)
            if not first <= last <= 255:
                raise FilterError(f"{term!r}: event types are 0 to 255, ranges low-high")
            types.update(range(first, last + 1))
        return types
    named = {d for d, name in EVENT_NAMES.items() if value in name.lower()}
    if not named:
        raise FilterError(f"{term!r}: no event type is named like that")
    return named
