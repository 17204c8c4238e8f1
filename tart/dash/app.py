"""The dashboard application: what it knows of TART, and the loops that keep it current.

One loop polls the REST API every refresh interval (stats, health, nodes); a second, as often,
the analytics (blocks, work-packages, the network's health score), which an older TART lacks;
the third follows the live stream of events over WS /api/ws, resuming after the last event it
has whenever the connection comes back. None gives up: a TART that cannot be reached is shown
as such and tried again. The screens (tart.dash.screens) redraw from this state on a timer, so
a burst of events costs one redraw, not one per event.
"""

import asyncio
import logging
import time
from typing import ClassVar

from textual.app import App
from textual.binding import Binding
from textual.logging import TextualHandler
from textual.reactive import reactive

from tart.client import (
    Event,
    Interrupted,
    Missed,
    NotFound,
    Streaming,
    TartClient,
    Unavailable,
)
from tart.dash.events import EventLog
from tart.dash.filter import EventFilter, FilterError, parse_filter
from tart.dash.main_screen import MainScreen

# Stored events read to fill the list when the dashboard starts or a filter is set.
HISTORY = 200
# Blocks in the Blocks tab: the highest slots.
BLOCKS = 50


class Dashboard(App):
    """`tart dash`: TART's network, nodes and events in a terminal."""

    TITLE = "TART dashboard"
    CSS_PATH = "dash.tcss"
    BINDINGS: ClassVar = [
        Binding("q", "quit", "Quit"),
        Binding("escape", "quit", "Quit", show=False),
    ]
    ENABLE_COMMAND_PALETTE = False

    # What the status bar says about the connection: live, connecting or unreachable.
    connection = reactive("connecting")
    connection_detail = reactive("")

    def __init__(self, url: str, refresh_ms: int = 500):
        super().__init__()
        self.client = TartClient(url)
        self.refresh_seconds = refresh_ms / 1000
        self.events = EventLog()
        self.stats: dict = {}
        self.health: dict = {}
        self.nodes: list[dict] = []
        self.node_names: dict[str, str] = {}
        self.blocks: list[dict] | None = None  # None until TART has answered
        self.work_packages: dict | None = None
        self.network_health: dict | None = None
        self.showing = "nodes-tab"  # the main screen's tab in view
        # What an older TART without the analytics said (its 404), per endpoint.
        self.lacking: dict[str, str] = {}
        self._answered = None  # local time of the last answered poll
        self._reachable = None  # None until the first poll
        self._problem = ""
        self._streaming = False
        self._stream_problem = ""

    def on_mount(self) -> None:
        # Library loggers (httpx logs every request) must not write over the screen.
        logging.basicConfig(handlers=[TextualHandler()], level=logging.WARNING, force=True)
        self.push_screen(MainScreen())
        self.run_worker(self._poll(), name="poll", group="tart")
        self.run_worker(self._stream(), name="stream", group="tart")
        self.run_worker(self._poll_analytics(), name="analytics", group="tart")

    async def on_unmount(self) -> None:
        await self.client.aclose()

    async def _poll(self) -> None:
        while True:
            started = time.monotonic()
            try:
                self.stats, self.health, self.nodes = await asyncio.gather(
                    self.client.stats(), self.client.health_detailed(), self.client.nodes()
                )
            except Unavailable as problem:
                self._reachable, self._problem = False, str(problem)
            else:
                self._reachable, self._problem = True, ""
                self._answered = time.strftime("%H:%M:%S")
                self.node_names = {
                    node["node_id"]: node["implementation_name"] or "" for node in self.nodes
                }
            self._show_connection()
            await asyncio.sleep(max(0.0, self.refresh_seconds - (time.monotonic() - started)))

    async def _poll_analytics(self) -> None:
        """The health score, and the blocks or the work-packages while their tab is in view
        (on a large network they are the API's dearest reads): each one that fails keeps its
        last answer (unreachable is the other loop's to say), one answered 404 is marked
        lacking."""
        while True:
            started = time.monotonic()
            requests = {"network_health": self.client.network_health}
            if self.showing == "blocks-tab":
                requests["blocks"] = lambda: self.client.blocks(limit=BLOCKS)
            elif self.showing == "packages-tab":
                requests["work_packages"] = self.client.work_packages
            answers = await asyncio.gather(
                *(request() for request in requests.values()), return_exceptions=True
            )
            for name, answer in zip(requests, answers):
                if isinstance(answer, NotFound):
                    self.lacking[name] = str(answer)
                elif isinstance(answer, Unavailable):
                    continue
                elif isinstance(answer, BaseException):
                    raise answer
                else:
                    self.lacking.pop(name, None)
                    setattr(self, name, answer)
            await asyncio.sleep(max(0.0, self.refresh_seconds - (time.monotonic() - started)))

    async def _stream(self) -> None:
        self.events.start(await self._retrying(self.client.events, limit=HISTORY))
        async for item in self.client.live(since_id=self.events.last_id):
            if isinstance(item, Event):
                self.events.add(item)
            elif isinstance(item, Streaming):
                self._streaming, self._stream_problem = True, ""
                self._show_connection()
            elif isinstance(item, Interrupted):
                self._streaming = False
                self._stream_problem = f"{item.reason}; retrying in {item.retry_in:g} s"
                self._show_connection()
            elif isinstance(item, Missed):
                self.events.missed(item)

    async def _retrying(self, request, **arguments):
        """`request`'s answer, asking again every refresh interval until TART gives one."""
        while True:
            try:
                return await request(**arguments)
            except Unavailable:
                await asyncio.sleep(max(self.refresh_seconds, 1.0))

    def _show_connection(self) -> None:
        if self._reachable is False:
            self.connection = "unreachable"
            since = "" if self._answered is None else f"; figures as of {self._answered}"
            self.connection_detail = f"{self._problem}{since}; retrying"
        elif self._reachable and self._streaming:
            self.connection = "live"
            self.connection_detail = ""
        else:
            self.connection = "connecting"
            self.connection_detail = self._stream_problem

    def filter_events(self, text: str) -> None:
        """Narrow the event list to what `text` asks for (tart.dash.filter); "" shows all."""
        try:
            event_filter = parse_filter(text)
        except FilterError as problem:
            self.notify(str(problem), title="Filter", severity="error")
            return
        self.run_worker(self._narrow(event_filter), group="filter", exclusive=True)

    async def _narrow(self, event_filter: EventFilter) -> None:
        history = []
        if event_filter:
            try:
                history = await self.client.events(
                    limit=HISTORY,
                    node_id=event_filter.node_prefix,
                    event_types=None
                    if event_filter.event_types is None
                    else sorted(event_filter.event_types),
                )
            except Unavailable as problem:
                self.notify(f"cannot read the events: {problem}", title="Filter", severity="error")
                return
        self.events.narrow(event_filter, history)
