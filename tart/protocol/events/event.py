"""What every JIP-3 event definition is: a record of fields under a heading of the spec, some of
them the IDs of earlier events it belongs with."""

import re
from dataclasses import dataclass

from construct import Renamed

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
    """One JIP-3 event: its heading in the spec, then its fields in order. Its `category` (the
    section it is under) is set where the sections are listed, in tart.protocol.events."""

    def __init__(self, title, *fields):
        super().__init__(*fields)
        self.title = title
        self.event_name = re.sub(r"[^A-Za-z0-9]", "", title.title())
        self.category = None

    @property
    def references(self):
        """``{field name: headings}`` of the fields that are IDs of earlier events."""
        return {
            field.name: reference.headings
            for field in self.subcons
            if (reference := _corresponding(field)) is not None
        }


class Corresponding(Renamed):
    """``Event ID (ID of the corresponding "a" or "b" event)``: the ID of an earlier event on the
    same connection, whose heading in the spec must be one of ``headings``."""

    def __init__(self, *headings):
        quoted = " or ".join(f'"{heading}"' for heading in headings)
        super().__init__(EventId, newdocs=f"ID of the corresponding {quoted} event")
        self.headings = headings


def _corresponding(con):
    while isinstance(con, Renamed):
        if isinstance(con, Corresponding):
            return con
        con = con.subcon
    return None
