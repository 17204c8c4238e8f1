"""What every JIP-3 event definition is: its number and heading in the spec, when a node emits
it, and a record of its fields, some of them the IDs of earlier events it belongs with."""

import re
from dataclasses import dataclass

from construct import Construct, Renamed

from tart.protocol.composites import Record
from tart.protocol.types import EventId


@dataclass(frozen=True)
class Category:
    """A section of the spec's event messages, which is one module of this package.

    `key` names it in the API (snake_case: the module's name), `heading` is the spec's title.
    """

    key: str
    heading: str
    discriminators: tuple[int, ...]


class Event(Record):
    """One JIP-3 event as the spec gives it: ``### number: title``, the sentence saying when it
    is emitted, its fields in order, and any note after them (limits, special cases).

    `protocol_versions` are those the definition belongs to (event 61 differs between them).
    Its `category` (the section it is under) is set where the sections are listed, in
    tart.protocol.events.
    """

    def __init__(
        self,
        number: int,
        title: str,
        emitted: str,
        *fields: Construct,
        note: str | None = None,
        protocol_versions: tuple[int, ...] = (0, 1),
    ):
        super().__init__(*fields)
        self.number = number
        self.title = title
        self.emitted = emitted
        self.note = note
        self.protocol_versions = protocol_versions
        self.event_name = re.sub(r"[^A-Za-z0-9]", "", title.title())
        self.category = None

    @property
    def references(self) -> dict[str, tuple[str, ...]]:
        """``{field name: headings}`` of the fields that are IDs of earlier events."""
        return {
            field.name: reference.headings
            for field in self.subcons
            if (reference := _corresponding(field)) is not None
        }


class Corresponding(Renamed):
    """``Event ID (ID of the corresponding "a" or "b" event)``: the ID of an earlier event on the
    same connection, whose heading in the spec must be one of ``headings``."""

    def __init__(self, *headings: str):
        quoted = " or ".join(f'"{heading}"' for heading in headings)
        super().__init__(EventId, newdocs=f"ID of the corresponding {quoted} event")
        self.headings = headings


def _corresponding(con):
    while isinstance(con, Renamed):
        if isinstance(con, Corresponding):
            return con
        con = con.subcon
    return None
