"""Screens over the others: the filter prompt, and one event's full content."""

from typing import ClassVar

from rich.pretty import Pretty
from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from tart.client import Event
from tart.dash import formats
from tart.dash.filter import EXAMPLES


class FilterScreen(ModalScreen[str | None]):
    """Asks what to show in the event list; Enter applies, Esc leaves it as it was."""

    BINDINGS: ClassVar = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def compose(self):
        with Vertical(id="filter-box"):
            yield Label("Show the events of (terms separated by spaces; empty for all):")
            yield Input(self.text, placeholder="11,12  block  node:a1b2", id="filter-input")
            yield Static(
                Text("\n").join(
                    Text.assemble((f"{term:<14}", "bold"), (meaning, "dim"))
                    for term, meaning in EXAMPLES
                )
            )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())


class EventScreen(ModalScreen):
    """One event as TART stored it."""

    BINDINGS: ClassVar = [Binding("escape,enter", "dismiss", "Close")]

    def __init__(self, event: Event, names: dict[str, str]):
        super().__init__()
        self.event = event
        self.names = names

    def compose(self):
        event = self.event
        with VerticalScroll(id="event-box"):
            yield Static(
                Text.assemble(
                    (f"{event.name}", "bold"),
                    f"  type {event.event_type}, id {event.id}, JIP-3 event id {event.event_id}\n",
                    ("node      ", "dim"),
                    f"{event.node_id} {self.names.get(event.node_id, '')}\n",
                    ("timestamp ", "dim"),
                    f"{formats.when(event.timestamp)}{event.timestamp[19:26]} UTC (node)\n",
                    ("received  ", "dim"),
                    f"{formats.when(event.received_at)}{event.received_at[19:26]} UTC (TART)",
                )
            )
            yield Static(Pretty(event.data))
