"""What every JIP-3 event definition is: a record of fields under a heading of the spec."""

import re

from tart.protocol.composites import Record


class Event(Record):
    """One JIP-3 event: its heading in the spec, then its fields in order."""

    def __init__(self, title, *fields):
        super().__init__(*fields)
        self.title = title
        self.event_name = re.sub(r"[^A-Za-z0-9]", "", title.title())
