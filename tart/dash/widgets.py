"""The dashboard's pieces: the status bar, the panels of network figures, and the tables."""

import itertools
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Static

from tart.client import Event, Missed
from tart.dash import formats


class StatusBar(Static):
    """Title, TART's address, and whether the dashboard is live, connecting or cut off."""

    def on_mount(self) -> None:
        self.watch(self.app, "connection", self._redraw)
        self.watch(self.app, "connection_detail", self._redraw)

    def _redraw(self, _=None) -> None:
        app = self.app
        text = Text.assemble(("TART", "bold"), " dashboard  ", (app.client.url, "dim"), "  ")
        text.append_text(formats.status(app.connection, app.connection.upper()))
        if app.connection_detail:
            text.append(f"  {app.connection_detail}", formats.STATUS_STYLES[app.connection])
        self.update(text)
        self.set_class(app.connection != "live", "-alert")


def network_panel(stats: dict, nodes: list[dict], with_blocks: bool = False) -> Text:
    """Nodes online, events and blocks authored; `with_blocks`, the blocks panel's figures
    too (for a narrow terminal, where there is no room for both panels)."""
    rows = [
        (
            "Online",
            f"{formats.number(stats.get('connected_nodes'))}"
            f"/{formats.number(stats.get('total_nodes'))}",
        ),
        ("Events", formats.number(stats.get("total_events"))),
        ("Authored", formats.number(stats.get("total_blocks_authored"))),
    ]
    return _lines(*rows, *(_block_rows(stats, nodes)[:2] if with_blocks else ()))


def blocks_panel(stats: dict, nodes: list[dict]) -> Text:
    return _lines(*_block_rows(stats, nodes))


def _block_rows(stats: dict, nodes: list[dict]) -> list[tuple[str, str]]:
    # The highest slot of any node, as /api/stats has it (kept for 5 s) or as the list of
    # nodes does (kept for 2 s, and what "behind" in the Nodes tab is measured from).
    best = _highest(stats.get("best_block"), (n["best_block"]["slot"] for n in nodes))
    finalized = _highest(
        stats.get("finalized_block"), (n["finalized_block"]["slot"] for n in nodes)
    )
    lag = None if best is None or finalized is None else best - finalized
    return [
        ("Best", "–" if best is None else str(best)),
        ("Finalized", "–" if finalized is None else str(finalized)),
        ("Unfinalized", "–" if lag is None else f"{lag} slots"),
    ]


def _highest(*slots) -> int | None:
    found = [slot for slot in (slots[0], *slots[1]) if slot is not None]
    return max(found, default=None)


# What each component of /api/health/detailed shows beside its status, in a few characters.
_COMPONENT_FIGURES = {
    "database": lambda c: "" if c.get("latency_ms") is None else f"{c['latency_ms']:g} ms",
    "ingest": lambda c: f"×{c.get('processes', 0)}, queue {c.get('queue_depth', 0):,}",
    "broadcaster": lambda c: formats.plural(c.get("subscribers", 0), "client"),
    "memory": lambda c: f"{c.get('usage_percent', 0):g} %",
}


def health_panel(health: dict, unreachable: bool = False) -> Text:
    """TART's status, uptime and components; when it cannot be reached, only that."""
    if unreachable:
        return formats.status("unreachable", "unreachable\nretrying…")
    if not health:
        return Text("–")
    text = formats.status(health.get("status", "unknown"))
    text.append(f"  up {formats.duration(health.get('uptime_seconds'))}")
    for name, component in health.get("components", {}).items():
        figure = _COMPONENT_FIGURES.get(name, lambda c: "")(component)
        text.append("\n")
        text.append_text(formats.status(component.get("status", "unknown"), name))
        if figure:
            text.append(f" {figure}", "dim")
    return text


def _lines(*rows: tuple[str, str]) -> Text:
    width = max(len(label) for label, _ in rows) + 1
    text = Text()
    for index, (label, value) in enumerate(rows):
        if index:
            text.append("\n")
        text.append(label.ljust(width), "dim")
        text.append(value, "bold")
    return text


class Table(DataTable):
    """A DataTable whose Home and End go to the first and last row, as in a list."""

    BINDINGS: ClassVar = [
        Binding("home", "scroll_top", "Top", show=False),
        Binding("end", "scroll_bottom", "Bottom", show=False),
    ]

    def __init__(self, **kwargs):
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)

    @property
    def selected_key(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def add_row(self, *cells, key=None):
        # As Text, because a plain string would be parsed as rich markup: slower, and wrong
        # for event data with brackets in it.
        return super().add_row(*map(_text, cells), key=key)

    def update_cell(self, row_key, column_key, value):
        return super().update_cell(row_key, column_key, _text(value))

    def replace_rows(self, rows: list[tuple[str, tuple]]) -> None:
        """Show `rows` (key, cells) instead, the cursor staying on its row's key if it can."""
        selected, row = self.selected_key, self.cursor_row
        self.clear()
        for key, cells in rows:
            self.add_row(*cells, key=key)
        keys = [key for key, _ in rows]
        if selected in keys:
            row = keys.index(selected)
        if self.row_count:
            self.move_cursor(row=min(row, self.row_count - 1), animate=False)


def _text(cell) -> Text:
    return cell if isinstance(cell, Text) else Text(str(cell))


class NodeTable(Table):
    """Every node TART has heard from, online first; Enter opens one."""

    COLUMNS = (
        ("Name", 12),
        ("Node", 9),
        ("Version", 8),
        ("Events", 9),
        ("Status", 9),
        ("Best", 9),
        ("Behind", 6),
    )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.shown: dict[str, tuple] = {}  # node id → its cells as shown

    def on_mount(self) -> None:
        for label, width in self.COLUMNS:
            self.add_column(label, width=width, key=label)

    def show(self, nodes: list[dict]) -> None:
        """Update the rows in place, so that the cursor stays on its node."""
        best = max(
            (n["best_block"]["slot"] for n in nodes if n["best_block"]["slot"] is not None),
            default=None,
        )
        ordered = sorted(
            nodes,
            key=lambda n: (not n["is_connected"], n["implementation_name"] or "", n["node_id"]),
        )
        cells = {node["node_id"]: self._cells(node, best) for node in ordered}
        if list(cells) != list(self.shown):
            self.replace_rows(list(cells.items()))
        else:
            for node_id, row in cells.items():
                for (label, _), value, was in zip(self.COLUMNS, row, self.shown[node_id]):
                    if value != was:
                        self.update_cell(node_id, label, value)
        self.shown = cells

    @staticmethod
    def _cells(node: dict, best: int | None) -> tuple:
        slot = node["best_block"]["slot"]
        behind = None if slot is None or best is None else best - slot
        return (
            node["implementation_name"] or "?",
            formats.short_id(node["node_id"]),
            node["implementation_version"] or "?",
            Text(formats.number(node["event_count"]), justify="right"),
            formats.status("online" if node["is_connected"] else "offline"),
            Text("–" if slot is None else str(slot), justify="right"),
            Text(
                "–" if behind is None else str(behind),
                style="yellow" if behind else "",
                justify="right",
            ),
        )


class EventTable(Table):
    """Events, newest first: time, type, node, and what the event says; Enter opens one."""

    class Chosen(Message):
        """Enter on an event: `event` is the one the cursor was on when it was pressed (while
        following, the rows may be redrawn before a RowSelected is handled)."""

        def __init__(self, event: Event):
            super().__init__()
            self.event = event

    # (label, width) of the columns before the details, in wide and in narrow tables, where
    # a node is only its id.
    WIDE = (("Time (UTC)", 12), ("Type", 26), ("Node", 22))
    NARROW = (("Time (UTC)", 12), ("Type", 25), ("Node", 9))
    NARROW_BELOW = 100
    # Rows of a list held still: ten pages or so; the filter finds older ones.
    ROWS = 200
    # Rows drawn beyond the screenful while following, for the first page down.
    MARGIN = 20

    def __init__(self, with_node: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.with_node = with_node
        self.shown_changes = None
        self.complete = False  # all ROWS drawn (held still), or only what can be seen
        self.shown: dict[str, Event] = {}

    def on_mount(self) -> None:
        self._add_columns()

    def on_resize(self) -> None:
        # The details take the width left; rows are redrawn with it at the next refresh.
        if self.columns["Details"].width != self._details_width():
            self.clear(columns=True)
            self._add_columns()
            self.shown_changes = None

    def _add_columns(self) -> None:
        for label, width in self._fixed():
            self.add_column(label, width=width, key=label)
        self.add_column("Details", width=self._details_width(), key="Details")

    def action_select_cursor(self) -> None:
        event = self.shown.get(self.selected_key)
        if event is not None:
            self.post_message(self.Chosen(event))

    @property
    def following(self) -> bool:
        """Whether the cursor is on the newest event, so that new ones come in above it; moved
        down, the list holds still until Home."""
        return self.cursor_row == 0

    def update(self, items, names: dict[str, str], changes) -> None:
        """Keep up with `items` (Events and Missed markers, oldest first; `changes` tells
        whether they changed since the last call), newest at the top.

        While following, only the newest screenful or so is drawn, which is what can be seen;
        once the cursor moves down, all ROWS are drawn once and the list holds still, the
        cursor on its event, until Home.
        """
        if self.following:
            if changes != self.shown_changes:
                self._show(items, names, self.size.height + self.MARGIN)
                self.shown_changes, self.complete = changes, False
        elif not self.complete:
            selected = self.selected_key
            self._show(items, names, self.ROWS)
            self.complete = True
            keys = [row.key.value for row in self.ordered_rows]
            self.move_cursor(row=keys.index(selected) if selected in keys else 1, animate=False)

    def _show(self, items, names: dict[str, str], rows: int) -> None:
        self.clear()
        self.shown = {}
        width = self._details_width()
        for item in itertools.islice(reversed(items), rows):
            if isinstance(item, Missed):
                self.add_row(*self._gap(item), key=f"missed-{item.after_id}")
            else:
                self.shown[str(item.id)] = item
                self.add_row(*self._cells(item, names, width), key=str(item.id))

    def _cells(self, event: Event, names: dict, width: int) -> tuple:
        cells = [formats.clock(event.timestamp), f"{event.event_type:>3} {event.name}"]
        if self.with_node:
            cells.append(f"{formats.short_id(event.node_id)} {names.get(event.node_id, '')}")

        cells.append(formats.summary(event.fields, width))
        return tuple(cells)

    def _gap(self, gap: Missed) -> tuple:
        skipped = gap.through_id - gap.after_id
        cells = ["⋯", Text(f"{skipped:,} events not shown", style="yellow")]
        if self.with_node:
            cells.append("")
        cells.append(Text(f"stored while away: /api/events?since_id={gap.after_id}", "dim"))
        return tuple(cells)

    def _fixed(self):
        columns = self.NARROW if self.size.width < self.NARROW_BELOW else self.WIDE
        return columns if self.with_node else columns[:2]

    def _details_width(self) -> int:
        # Each cell is padded by 1 a side; the vertical scrollbar takes 2.
        used = sum(width + 2 for _, width in self._fixed()) + 2 + 2
        return max(20, self.size.width - used)
