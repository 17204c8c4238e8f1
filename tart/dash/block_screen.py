"""One block: who authored it, its spreads on both clocks, when each node announced, received,
imported and had it (ms after the block's first sighting), and the nodes that never had it."""

import asyncio
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Footer, Label, Static

from tart.client import NotFound, Unavailable
from tart.dash import formats
from tart.dash.widgets import StatusBar, Table

# The clocks a node's times are on: the suffix of their fields in /api/blocks/<hash>, what to
# call them, and the block's spreads on them.
CLOCKS = {
    "_at": ("TART's receive clock", "spread_ms"),
    "_time": ("the nodes' clocks", "spread_node_ms"),
}
KINDS = ("authored", "announced", "received", "importing", "imported")
SHOWN = ("announced", "received", "imported", "had")


class BlockScreen(Screen):
    BINDINGS: ClassVar = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("c", "switch_clock", "Other clock"),
    ]

    def __init__(self, header_hash: str):
        super().__init__()
        self.header_hash = header_hash
        self.block: dict | None = None
        self.clock = "_at"
        self.problem = ""

    def compose(self):
        yield StatusBar(id="status")
        yield Static(id="block-info", classes="panel")
        yield Label(id="clock-line")
        yield SightingTable(id="sightings")
        yield Static(id="never-had")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#block-info").border_title = f"Block {formats.short_hash(self.header_hash)}"
        self.query_one(SightingTable).focus()
        self.run_worker(self._poll(), group="block", exclusive=True)

    async def _poll(self) -> None:
        while True:
            try:
                (self.block,) = await self.app.client.block(self.header_hash)
                self.problem = ""
            except NotFound as problem:
                self.problem = f"{problem} (pruned, or an older TART)"
            except Unavailable as problem:
                self.problem = str(problem)
            try:
                self._show()
            except NoMatches:  # the screen was closed while it asked
                return
            await asyncio.sleep(self.app.refresh_seconds)

    def action_switch_clock(self) -> None:
        self.clock = "_time" if self.clock == "_at" else "_at"
        self._show()

    def _show(self) -> None:
        self.query_one("#block-info", Static).update(self._info())
        block = self.block
        if block is None:
            return
        clock_name, _ = CLOCKS[self.clock]
        self.query_one("#clock-line", Label).update(
            Text.assemble(
                ("ms after the block's first sighting, on ", "dim"),
                (clock_name, "bold"),
                ("  (c: the other clock)", "dim"),
            )
        )
        self.query_one(SightingTable).show(block["nodes"], self.clock)
        never = block["never_had"]
        line = Text("never had it: ", "dim")
        if never:
            line.append(", ".join(_node(n) for n in never), "red")
        else:
            line.append("none of the nodes connected within a slot of it", "dim")
        self.query_one("#never-had", Static).update(line)

    def _info(self) -> Text:
        block = self.block
        if block is None:
            return Text(self.problem or "loading…", "dim")
        author = block["author_node_id"]
        names = self.app.node_names
        rows = [
            ("author", "–" if author is None else f"{author[:16]}… {names.get(author, '')}"),
            ("first seen", f"{formats.when(block['first_seen_at'])} UTC"),
            ("had it", f"{block['nodes_had']} of {block['reporting_nodes']} reporting nodes"),
        ]
        for clock_name, field in CLOCKS.values():
            spread = block[field]
            figures = "  ".join(f"{p} {formats.ms(spread[p])}" for p in spread)
            rows.append(("spread", f"{figures} ms ({clock_name})"))
        text = Text.assemble((f"slot {block['slot']}", "bold"), f"  {block['header_hash']}")
        for label, value in rows:
            text.append(f"\n{label:<11}", "dim")
            text.append(value)
        if self.problem:
            text.append(f"\n{self.problem}", "red")
        return text


def _node(node: dict) -> str:
    return f"{formats.short_id(node['node_id'])} {node['implementation_name'] or ''}".rstrip()


class SightingTable(Table):
    """Each node that reported the block, in the order TART saw them have it."""

    # Fixed widths but the note's, so that an 80-column terminal needs no sideways scrolling.
    COLUMNS = (("Node", 9), ("Name", 10), *((kind.title(), 8) for kind in SHOWN), ("Note", None))

    def on_mount(self) -> None:
        for label, width in self.COLUMNS:
            self.add_column(label, width=width, key=label)

    def show(self, nodes: list[dict], clock: str) -> None:
        self.replace_rows([(node["node_id"], cells) for node, cells in sightings(nodes, clock)])


def sightings(nodes: list[dict], clock: str) -> list[tuple[dict, tuple]]:
    """Each node and its cells: its times on `clock` ("_at" or "_time") as ms after the
    earliest time of any node on that clock."""
    stamps = [
        datetime.fromisoformat(node[f"{kind}{clock}"])
        for node in nodes
        for kind in KINDS
        if node[f"{kind}{clock}"] is not None
    ]
    first = min(stamps, default=None)
    rows = []
    for node in nodes:
        times = []
        for kind in SHOWN:
            stamp = node[f"{kind}{clock}"]
            after = (
                None
                if stamp is None
                else (datetime.fromisoformat(stamp) - first).total_seconds() * 1000
            )
            times.append(Text(formats.ms(after), justify="right"))
        if node["failure"]:
            note = Text(node["failure"], "red")
        elif node["had_at"] is None:
            note = Text("never had it", "red")
        elif node[f"authored{clock}"] is not None:
            note = Text("author", "bold")
        else:
            note = ""
        cells = (formats.short_id(node["node_id"]), node["implementation_name"] or "?", *times)
        rows.append((node, (*cells, note)))
    return rows
