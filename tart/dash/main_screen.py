"""The main screen: the network's figures in panels beside the Nodes, Events, Blocks and
Work-packages tabs."""

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Label, Static, TabbedContent, TabPane

from tart.dash import formats
from tart.dash.block_screen import BlockScreen
from tart.dash.blocks import (
    BlockTable,
    FunnelTable,
    failures_text,
    funnel_line,
    network_score,
    score_summary,
)
from tart.dash.node_screen import NodeScreen
from tart.dash.screens import EventScreen, FilterScreen
from tart.dash.widgets import (
    EventTable,
    NodeTable,
    StatusBar,
    blocks_panel,
    health_panel,
    network_panel,
)

# Below this size the panels go in a row above the tabs instead of a column beside them.
WIDE = (110, 32)
# The tabs in Tab's order, and the table in each that takes the keys.
TABS = {
    "nodes-tab": NodeTable,
    "events-tab": EventTable,
    "blocks-tab": BlockTable,
    "packages-tab": FunnelTable,
}


class MainScreen(Screen):
    BINDINGS: ClassVar = [
        Binding("tab", "switch_tab(1)", "Next tab", priority=True),
        Binding("shift+tab", "switch_tab(-1)", show=False, priority=True),
        Binding("slash,f", "filter", "Filter"),
        Binding("n", "events_of_node", "Node's events"),
    ]

    def compose(self):
        yield StatusBar(id="status")
        with Horizontal(id="body"):
            with Vertical(id="side"):
                yield Static(id="network", classes="panel")
                yield Static(id="blocks", classes="panel")
                yield Static(id="health", classes="panel")
                with Vertical(id="rate", classes="panel"):
                    yield Label(id="rate-figure")
                    yield Static(id="sparkline")
            with TabbedContent(id="tabs"):
                with TabPane("Nodes", id="nodes-tab"):
                    yield NodeTable(id="nodes")
                with TabPane("Events", id="events-tab"):
                    yield Label(id="filter-line")
                    yield EventTable(id="events")
                with TabPane("Blocks", id="blocks-tab"):
                    yield Label(id="blocks-line")
                    yield BlockTable(id="block-list")
                with TabPane("Work-packages", id="packages-tab"):
                    yield Label(id="funnel-line")
                    with Horizontal(id="packages"):
                        yield FunnelTable(id="funnel")
                        with VerticalScroll(id="failures-box"):
                            yield Label("Failures, last hour", id="failures-title")
                            yield Static(id="failures")
        yield Footer()

    def on_mount(self) -> None:
        for panel, title in (
            ("network", "Network"),
            ("blocks", "Blocks"),
            ("health", "Health"),
            ("rate", "Events/s"),
        ):
            self.query_one(f"#{panel}").border_title = title
        self._fit(self.size)
        self.redraw()
        self.set_interval(self.app.refresh_seconds, self.redraw)
        self.query_one(NodeTable).focus()

    def on_resize(self, event) -> None:
        self._fit(event.size)

    def _fit(self, size) -> None:
        self.set_class(size.width < WIDE[0] or size.height < WIDE[1], "-narrow")

    def redraw(self) -> None:
        if not self.is_current:  # under a node's screen: redrawn when it is back
            return
        app = self.app
        self.set_class(app.connection == "unreachable", "-stale")
        narrow = self.has_class("-narrow")
        self.query_one("#network", Static).update(
            network_panel(app.stats, app.nodes, with_blocks=narrow)
        )
        self.query_one("#blocks", Static).update(blocks_panel(app.stats, app.nodes))
        unreachable = app.connection == "unreachable"
        health = health_panel(app.health, unreachable)
        if not narrow and not unreachable:
            health.append("\n")
            health.append_text(network_score(app.network_health, app.lacking.get("network_health")))
        self.query_one("#health", Static).update(health)
        self._redraw_rate()
        tabs = self.query_one(TabbedContent)
        tabs.get_tab("nodes-tab").label = f"Nodes ({len(app.nodes)})"
        # Only the tab in view: the others are brought up to date when they come into view.
        if tabs.active == "nodes-tab":
            self.query_one(NodeTable).show(app.nodes)
        elif tabs.active == "events-tab":
            self._redraw_events()
        elif tabs.active == "blocks-tab":
            self._redraw_blocks(narrow)
        else:
            self._redraw_packages()

    def _redraw_blocks(self, narrow: bool) -> None:
        app = self.app
        line = Text()
        if narrow:  # the health panel has no room for the network's score
            line.append_text(score_summary(app.network_health, app.lacking.get("network_health")))
        if "blocks" in app.lacking:
            line.append(f"this TART has no block propagation ({app.lacking['blocks']})", "yellow")
        elif app.blocks is None:
            line.append("waiting for TART…", "dim")
        elif not app.blocks:
            line.append("no node has reported a block yet", "dim")
        else:
            line.append(
                f"{len(app.blocks)} latest blocks; spread: ms until the share of nodes had it "
                "(TART's receive clock); Enter opens one",
                "dim",
            )
            self.query_one(BlockTable).show(app.blocks)
        self.query_one("#blocks-line", Label).update(line)

    def _redraw_packages(self) -> None:
        app = self.app
        answer = app.work_packages
        line = self.query_one("#funnel-line", Label)
        if "work_packages" in app.lacking:
            line.update(
                Text(
                    f"this TART has no work-package funnel ({app.lacking['work_packages']})",
                    "yellow",
                )
            )
        elif answer is None:
            line.update(Text("waiting for TART…", "dim"))
        else:
            line.update(funnel_line(answer))
            self.query_one(FunnelTable).show(answer["funnel"])
            self.query_one("#failures", Static).update(failures_text(answer["failures"]))

    def _redraw_rate(self) -> None:
        rate = self.app.events.rate
        chart = self.query_one("#sparkline", Static)
        width, height = chart.size
        self.query_one("#rate").border_subtitle = f"last {width} s"
        chart.update(Text(formats.bars(rate.series(max(1, width)), max(1, height))))
        self.query_one("#rate-figure", Label).update(
            Text.assemble((f"{rate.per_second():,.0f}", "bold"), (" events/s", "dim"))
        )

    def _redraw_events(self) -> None:
        log = self.app.events
        table = self.query_one(EventTable)
        table.update(log.view, self.app.node_names, log.changes)
        line = Text()
        if log.filter:
            line.append(f"filter: {log.filter.text}", "bold")
            line.append("  (/ to change, empty to clear)", "dim")
        else:
            line.append("all events", "dim")
            line.append("  (/ to filter by type or node)", "dim")
        if not table.following:
            line.append("  paused — Home to follow", "yellow")
        self.query_one("#filter-line", Label).update(line)

    def action_switch_tab(self, step: int) -> None:
        tabs = self.query_one(TabbedContent)
        order = list(TABS)
        tabs.active = order[(order.index(tabs.active) + step) % len(order)]
        self.query_one(TABS[tabs.active]).focus()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.app.showing = event.pane.id
        self.query_one(TABS[event.pane.id]).focus()
        self.redraw()

    def action_filter(self) -> None:
        def apply(text: str | None) -> None:
            if text is not None:
                self.app.filter_events(text)
                self.query_one(TabbedContent).active = "events-tab"

        self.app.push_screen(FilterScreen(self.app.events.filter.text), apply)

    def action_events_of_node(self) -> None:
        """The Events tab, narrowed to the node under the cursor of the Nodes tab."""
        node_id = self.query_one(NodeTable).selected_key
        if node_id is not None:
            self.app.filter_events(f"node:{node_id}")
            self.query_one(TabbedContent).active = "events-tab"

    def on_data_table_row_selected(self, event: NodeTable.RowSelected) -> None:
        if isinstance(event.data_table, NodeTable):
            self.app.push_screen(NodeScreen(event.row_key.value))
        elif isinstance(event.data_table, BlockTable):
            self.app.push_screen(BlockScreen(event.row_key.value))

    def on_event_table_chosen(self, chosen: EventTable.Chosen) -> None:
        self.app.push_screen(EventScreen(chosen.event, self.app.node_names))
