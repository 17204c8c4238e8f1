"""One node: what it said about itself, its telemetry connections and why they closed, its
latest events, and the frames of it that did not decode (field and byte offset)."""

import asyncio
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Footer, Static, TabbedContent, TabPane

from tart.client import Unavailable
from tart.dash import formats
from tart.dash.screens import EventScreen
from tart.dash.widgets import EventTable, StatusBar, Table

EVENTS_SHOWN = 100
ERRORS_SHOWN = 50


class NodeScreen(Screen):
    BINDINGS: ClassVar = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("tab", "switch_tab(1)", "Next tab", priority=True),
        Binding("shift+tab", "switch_tab(-1)", show=False, priority=True),
    ]
    TABS = ("sessions-tab", "node-events-tab", "errors-tab")

    def __init__(self, node_id: str):
        super().__init__()
        self.node_id = node_id
        self.node: dict | None = None
        self.problem = ""

    def compose(self):
        yield StatusBar(id="status")
        yield Static(id="node-info", classes="panel")
        with TabbedContent(id="node-tabs"):
            with TabPane("Sessions", id="sessions-tab"):
                yield SessionTable(id="sessions")
            with TabPane("Events", id="node-events-tab"):
                yield EventTable(with_node=False, id="node-events")
            with TabPane("Decode errors", id="errors-tab"):
                yield ErrorTable(id="errors")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#node-info").border_title = f"Node {formats.short_id(self.node_id)}"
        # Once the tabs have mounted their tables.
        self.call_after_refresh(self._start)

    def _start(self) -> None:
        self.query_one(SessionTable).focus()
        self.run_worker(self._poll(), group="node", exclusive=True)

    async def _poll(self) -> None:
        client = self.app.client
        while True:
            try:
                answers = await asyncio.gather(
                    client.node(self.node_id),
                    client.node_events(self.node_id, EVENTS_SHOWN),
                    client.node_errors(self.node_id, ERRORS_SHOWN),
                )
            except Unavailable as problem:
                answers, self.problem = None, str(problem)
            try:
                if answers:
                    self.problem = ""
                    self._show(*answers)
                self.query_one("#node-info", Static).update(self._info())
            except NoMatches:  # the screen was closed while it asked
                return
            await asyncio.sleep(self.app.refresh_seconds)

    def _show(self, node: dict, events: list, errors: list[dict]) -> None:
        self.node = node
        self.query_one(SessionTable).show(node["sessions"])
        self.query_one(EventTable).update(
            events[::-1], self.app.node_names, events[0].id if events else None
        )
        self.query_one(ErrorTable).show(errors)
        shown = f"{len(errors)}+" if len(errors) == ERRORS_SHOWN else len(errors)
        self.query_one(TabbedContent).get_tab("errors-tab").label = f"Decode errors ({shown})"

    def _info(self) -> Text:
        node = self.node
        if node is None:
            return Text(self.problem or "loading…", "dim")
        info = node["node_info"]
        address = info.get("peer_address") or {}
        params = info.get("params") or {}
        text = Text.assemble(
            (f"{node['implementation_name']} {node['implementation_version']}", "bold"), "  "
        )
        text.append_text(formats.status("online" if node["is_connected"] else "offline"))
        text.append(f"  {node['node_id']}\n", "dim")
        rows = (
            ("address", f"{address.get('address', '?')} port {address.get('port', '?')}"),
            (
                "protocol",
                f"JIP-3 v{info.get('protocol_version')}, GP {info.get('gp_version')}, "
                f"{params.get('core_count', '?')} cores",
            ),
            ("genesis", f"{info.get('genesis')}"),
            ("best", _block(node["best_block"])),
            ("finalized", _block(node["finalized_block"])),
            (
                "events",
                f"{node['event_count']:,}, first seen {formats.when(node['first_seen'])}, "
                f"last {formats.when(node['last_seen_at'])} UTC",
            ),
        )
        for index, (label, value) in enumerate(rows):
            text.append(f"{label:<10}", "dim")
            text.append(value)
            if index + 1 < len(rows):
                text.append("\n")
        if info.get("note"):
            text.append(f"\nnote      {info['note']}")
        if self.problem:
            text.append(f"\n{self.problem}", "red")
        return text

    def action_switch_tab(self, step: int) -> None:
        tabs = self.query_one(TabbedContent)
        tabs.active = self.TABS[(self.TABS.index(tabs.active) + step) % len(self.TABS)]

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        event.pane.query_one(Table).focus()

    def on_event_table_chosen(self, chosen: EventTable.Chosen) -> None:
        self.app.push_screen(EventScreen(chosen.event, self.app.node_names))


def _block(block: dict) -> str:
    if block["slot"] is None:
        return "–"
    return f"slot {block['slot']}  {block['hash']}"


class SessionTable(Table):
    """The node's latest telemetry connections, open ones first, with why each one closed."""

    def on_mount(self) -> None:
        for label in ("Session", "From", "Opened", "Closed", "Stored", "Limited", "Bad", "Reason"):
            self.add_column(label, key=label)

    def show(self, sessions: list[dict]) -> None:
        self.replace_rows([(str(session["id"]), _session_cells(session)) for session in sessions])


class ErrorTable(Table):
    """Frames of the node that did not decode: which event, which field, at which byte, why."""

    def on_mount(self) -> None:
        for label in ("Received", "Event", "Field", "Offset", "Reason", "Bytes at the offset"):
            self.add_column(label, key=label)

    def show(self, errors: list[dict]) -> None:
        if [str(e["id"]) for e in errors] != [row.key.value for row in self.ordered_rows]:
            self.replace_rows([(str(error["id"]), _error_cells(error)) for error in errors])


def _session_cells(session: dict) -> tuple:
    closed = session["closed_at"]
    return (
        str(session["id"]),
        session["remote_address"],
        formats.when(session["opened_at"]),
        formats.when(closed) if closed else Text("open", "green"),
        formats.number(session["events_stored"]),
        formats.number(session["events_rate_limited"]),
        formats.number(session["events_undecodable"]),
        session["close_reason"] or "",
    )


def _error_cells(error: dict) -> tuple:
    return (
        formats.clock(error["received_at"]),
        error["event_name"] or f"discriminator {error['discriminator']}",
        error["field_path"] or "",
        "–" if error["byte_offset"] is None else str(error["byte_offset"]),
        error["reason"],
        formats.marked_bytes(error["raw"], error["byte_offset"]),
    )
