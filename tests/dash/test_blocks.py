"""The Blocks and Work-packages tabs and the block screen under textual's Pilot, against a real
TART fed by `tart loadgen --mix lifecycles`, whose delays are known exactly: what they show is
what /api/blocks, /api/blocks/<hash>, /api/workpackages and /api/analytics/health say."""

import threading
import time
from datetime import datetime

import pytest

from tart.client import TartClient
from tart.dash.app import Dashboard
from tart.dash.block_screen import BlockScreen, SightingTable
from tart.dash.blocks import BlockTable, FunnelTable
from tart.dash.main_screen import MainScreen
from tart.loadgen import lifecycles as mix
from tart.loadgen.nodes import node_id
from tests.support.ingest import running_ingest
from tests.support.loadgen import send_lifecycles
from tests.support.older import older_tart
from tests.support.terminal import plain, run, until
from tests.support.web import running_web

NODES = 5
CYCLES = 2
SEED = 3
WIDE = (120, 40)


@pytest.fixture
def tart_server(pg):
    """A TART (ingest and web) of its own, nothing sent to it yet: (api, feed), feed() sends
    the lifecycles of NODES nodes and returns once TART has stored every event."""
    database_url = pg.fresh_database()
    with (
        running_ingest(database_url) as (_, port, _),
        running_web(database_url, workers=1) as (web_port, _),
    ):

        def feed():
            send_lifecycles(database_url, port, NODES, CYCLES, SEED)

        yield f"http://127.0.0.1:{web_port}", feed
    pg.drop_database(database_url)


def cells(table, key) -> list[str]:
    return [str(cell) for cell in table.get_row(key)]


def complete(blocks) -> bool:
    """Every block the lifecycles author is listed, with its author."""
    authored = [block for block in blocks if block["author_node_id"] is not None]
    return len(authored) == mix.slots(NODES) * CYCLES


def ms(value) -> str:
    return "–" if value is None else f"{value:,.1f}"


def test_blocks_arrive_in_the_tab_and_enter_opens_one(tart_server):
    api, feed = tart_server

    async def scenario():
        app = Dashboard(api, refresh_ms=200)
        async with app.run_test(size=WIDE) as pilot:
            await until(pilot, lambda: app.connection == "live", what="live")
            await pilot.press("tab", "tab")
            screen = app.screen
            assert screen.query_one("#tabs").active == "blocks-tab"
            table = screen.query_one(BlockTable)
            assert app.focused is table
            line = screen.query_one("#blocks-line")
            await until(pilot, lambda: "no node has reported" in plain(line), what="no blocks")

            # Sent while the dashboard watches: the tab is refreshed as the other REST data.
            thread = threading.Thread(target=feed)
            thread.start()
            while thread.is_alive():
                await pilot.pause(0.2)
            # The list a web worker keeps (up to blocks.LIST_LIFETIME) then shows them all.
            async with TartClient(api) as client:
                blocks = await client.blocks()
                deadline = time.monotonic() + 10
                while not complete(blocks) and time.monotonic() < deadline:
                    await pilot.pause(0.2)
                    blocks = await client.blocks()
            assert len(blocks) == mix.slots(NODES) * CYCLES
            # The rows of a poll made while the blocks were arriving are replaced by the next.
            expected = {
                block["header_hash"]: [
                    str(block["slot"]),
                    block["header_hash"][:10] + "…",
                    block["author_node_id"][:8] + "…",
                    f"{NODES - 1}/{NODES}",  # the last-ranked node never has it
                    ms(block["spread_ms"]["p50"]),
                    ms(block["spread_ms"]["p90"]),
                    ms(block["spread_ms"]["p100"]),
                ]
                for block in blocks
            }
            await until(
                pilot,
                lambda: (
                    {row.key.value: cells(table, row.key) for row in table.ordered_rows} == expected
                ),
                what="the API's blocks",
            )
            assert [row.key.value for row in table.ordered_rows] == list(expected)  # by slot
            assert plain(line).startswith(f"{len(blocks)} latest blocks")

            # Enter on the second row: that block's nodes, in the API's order. From the first
            # row: a poll that replaced the rows meanwhile may have left the cursor elsewhere.
            table.move_cursor(row=0)
            await pilot.pause()
            await pilot.press("down", "enter")
            assert isinstance(app.screen, BlockScreen)
            chosen = blocks[1]
            assert app.screen.header_hash == chosen["header_hash"]
            async with TartClient(api) as client:
                (details,) = await client.block(chosen["header_hash"])
            sightings = app.screen.query_one(SightingTable)
            order = [node["node_id"] for node in details["nodes"]]
            await until(
                pilot,
                lambda: [row.key.value for row in sightings.ordered_rows] == order,
                what="the block's nodes",
            )
            # Receive clock: ms after the earliest time TART received anything of the block.
            kinds = ("authored", "announced", "received", "importing", "imported")
            first = min(
                datetime.fromisoformat(node[f"{kind}_at"])
                for node in details["nodes"]
                for kind in kinds
                if node[f"{kind}_at"]
            )
            for node in details["nodes"]:
                shown = cells(sightings, node["node_id"])
                for column, kind in zip(shown[2:6], ("announced", "received", "imported", "had")):
                    stamp = node[f"{kind}_at"]
                    after = stamp and (datetime.fromisoformat(stamp) - first).total_seconds()
                    assert column == ("–" if stamp is None else ms(after * 1000))
            info = plain(app.screen.query_one("#block-info"))
            assert f"slot {chosen['slot']}  {chosen['header_hash']}" in info
            assert f"had it     {NODES - 1} of {NODES} reporting nodes" in info
            ((never, name),) = [
                (n["node_id"], n["implementation_name"]) for n in details["never_had"]
            ]
            never_had = plain(app.screen.query_one("#never-had"))
            assert never_had == f"never had it: {never[:8]}… {name}"

            # The nodes' clocks: the lifecycles' delays exactly, from the slot's start (when
            # its author authored it); the last-ranked node never had it.
            await pilot.press("c")
            offset = (chosen["slot"] - min(b["slot"] for b in blocks)) % mix.slots(NODES)
            for index in range(NODES):
                delay = mix.had_after_us(index, offset, NODES)
                shown = cells(sightings, node_id(SEED, index))
                assert shown[5] == ("–" if delay is None else ms(delay / 1000))
                assert shown[6] == (
                    "author" if delay == 0 else "never had it" if delay is None else ""
                )
            assert "the nodes' clocks" in plain(app.screen.query_one("#clock-line"))

            await pilot.press("escape")
            assert isinstance(app.screen, MainScreen)
            assert app.focused is app.screen.query_one(BlockTable)

    run(scenario())


def test_the_work_package_funnel_and_the_network_score(tart_server):
    api, feed = tart_server
    feed()

    async def scenario():
        async with TartClient(api) as client:
            answer = await client.work_packages()
            health = await client.network_health()
        app = Dashboard(api, refresh_ms=200)
        async with app.run_test(size=WIDE) as pilot:
            panel = app.screen.query_one("#health")
            await until(
                pilot,
                lambda: f"network {health['score']}/100" in plain(panel),
                what="the network's score",
            )
            # Lifecycles fail on purpose (block requests, authorizations, guarantee sends).
            assert health["anomalies"]
            for anomaly in health["anomalies"][:3]:
                assert anomaly["message"] in plain(panel)

            await pilot.press("tab", "tab", "tab")
            assert app.screen.query_one("#tabs").active == "packages-tab"
            funnel = app.screen.query_one(FunnelTable)
            assert app.focused is funnel
            await until(pilot, lambda: funnel.row_count == 9, what="the funnel's stages")
            primary = {s["stage"]: s for s in answer["funnel"]["primary"]["stages"]}
            secondary = {s["stage"]: s for s in answer["funnel"]["secondary"]["stages"]}
            order = [row.key.value for row in funnel.ordered_rows]
            assert order == [
                *list(primary)[:5], "signature_sent", *list(primary)[5:]
            ]  # fmt: skip
            for stage in order:
                expected = [stage.replace("_", " ")]
                for role in (primary, secondary):
                    if stage in role:
                        expected += [
                            f"{role[stage]['count']:,}",
                            ms(role[stage]["latency_ms"]["p50"]),
                        ]
                    else:
                        expected += ["", ""]
                assert cells(funnel, stage) == expected
            # The known delays: authorized 30 ms after the submission at the primary.
            assert cells(funnel, "authorized")[2] == ms(mix.PRIMARY_STEPS["authorized"] / 1000)

            failures = plain(app.screen.query_one("#failures")).splitlines()
            assert len(failures) == len(answer["failures"]) == 2
            for shown, failure in zip(failures, answer["failures"]):
                assert shown.split() == [
                    str(failure["count"]),
                    *failure["reason"].split(),
                    failure["event_name"],
                ]
            line = plain(app.screen.query_one("#funnel-line"))
            packages = mix.slots(NODES) * CYCLES
            assert f": {packages} primary ({answer['funnel']['primary']['failed']} failed" in line

    run(scenario())


def test_the_blocks_tab_fits_80_by_24(tart_server):
    api, feed = tart_server
    feed()

    async def scenario():
        app = Dashboard(api, refresh_ms=200)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("tab", "tab")
            table = app.screen.query_one(BlockTable)
            await until(pilot, lambda: table.row_count == 10, what="the blocks")
            # Every column in view, the network's score on the tab's line (no room in the
            # health panel).
            assert table.virtual_size.width <= table.scrollable_content_region.width
            await until(
                pilot,
                lambda: "network" in plain(app.screen.query_one("#blocks-line")),
                what="the score",
            )
            assert "network" not in plain(app.screen.query_one("#health"))

            # A block's nodes too.
            await pilot.press("enter")
            sightings = app.screen.query_one(SightingTable)
            await until(pilot, lambda: sightings.row_count == NODES, what="the block's nodes")
            assert sightings.virtual_size.width <= sightings.scrollable_content_region.width

    run(scenario())


def test_an_older_tart_without_the_analytics_is_said_so(tart_server):
    api, _ = tart_server
    lacking = ("/api/blocks", "/api/workpackages", "/api/analytics/health")

    async def scenario():
        with older_tart(int(api.rsplit(":", 1)[1]), lacking) as older:
            app = Dashboard(older, refresh_ms=200)
            async with app.run_test(size=WIDE) as pilot:
                # The rest works as before: the live stream through the same address.
                await until(pilot, lambda: app.connection == "live", what="live")
                health = app.screen.query_one("#health")
                await until(pilot, lambda: "not in this TART" in plain(health), what="no score")
                # The system's health comes by its own request, maybe after the score's answer.
                await until(pilot, lambda: plain(health).startswith("● healthy"), what="health")
                # The blocks and the work-packages are asked for while their tab is in view.
                assert set(app.lacking) == {"network_health"}
                await pilot.press("tab", "tab")
                line = app.screen.query_one("#blocks-line")
                await until(pilot, lambda: "no block" in plain(line), what="no blocks")
                assert plain(line) == (
                    "this TART has no block propagation "
                    "(GET /api/blocks: 404 no such endpoint: /api/blocks)"
                )
                assert app.screen.query_one(BlockTable).row_count == 0
                await pilot.press("tab")
                line = app.screen.query_one("#funnel-line")
                await until(pilot, lambda: "no work-package" in plain(line), what="no funnel")
                assert plain(line).startswith(
                    "this TART has no work-package funnel (GET /api/workpackages: 404"
                )
                assert app.connection == "live" and app.return_code is None

    run(scenario())
