"""The dashboard under textual's Pilot, against a real TART fed by a 20-node `tart loadgen`:
what the panels and tables show is what the API says, and the keys do what docs/DASHBOARDS.md
says."""

import asyncio

from textual.widgets import Input

import tart
from tart.client import TartClient
from tart.dash.app import Dashboard
from tart.dash.main_screen import MainScreen
from tart.dash.node_screen import ErrorTable, NodeScreen, SessionTable
from tart.dash.screens import EventScreen, FilterScreen
from tart.dash.widgets import EventTable, NodeTable
from tests.support.ingest import query
from tests.support.node import TelemetryNode, best_block
from tests.support.terminal import plain, run, until

WIDE = (120, 40)


def cells(table, key) -> list[str]:
    return [str(cell) for cell in table.get_row(key)]


async def type_filter(pilot, text):
    """/, the filter's text (set at once: a Pilot types a key per screen refresh), Enter."""
    await pilot.press("slash")
    pilot.app.screen.query_one(Input).value = text
    await pilot.press("enter")
    await pilot.pause(0.3)


def test_the_panels_and_the_nodes_tab_show_the_network(network):
    async def scenario():
        app = Dashboard(network.api, refresh_ms=200)
        async with app.run_test(size=WIDE) as pilot:
            nodes = app.screen.query_one(NodeTable)
            await until(pilot, lambda: app.connection == "live", what="live")
            async with TartClient(network.api) as client:
                api_nodes = {node["node_id"]: node for node in await client.nodes()}
                stats = await client.stats()
            assert len(api_nodes) >= network.nodes  # the loadgen's, and those other tests added
            await until(pilot, lambda: nodes.row_count == len(api_nodes), what="every node")
            screen = app.screen
            assert "LIVE" in plain(screen.query_one("#status"))

            network_panel = plain(screen.query_one("#network"))
            assert f"{len(api_nodes)}/{len(api_nodes)}" in network_panel
            assert "Events" in network_panel and "Authored" in network_panel
            blocks = plain(screen.query_one("#blocks"))
            assert "Best" in blocks and "Finalized" in blocks
            assert int(blocks.split()[1]) >= stats["best_block"] - 50
            health = plain(screen.query_one("#health"))
            assert health.startswith("● healthy  up ")
            for component in ("database", "ingest", "broadcaster", "memory"):
                assert f"● {component}" in health

            # Every node, online, named and versioned as the API says; "behind" is the
            # distance from the best slot in the table.
            assert {row.key.value for row in nodes.ordered_rows} == set(api_nodes)
            rows = {row.key.value: cells(nodes, row.key) for row in nodes.ordered_rows}
            best = max(int(row[5]) for row in rows.values() if row[5].isdigit())
            loadgen = {k: row for k, row in rows.items() if row[0] == "tart-loadgen"}
            assert len(loadgen) == network.nodes
            for node_id, (_, short, version, events, status, slot, behind) in loadgen.items():
                assert version == tart.__version__
                assert short == node_id[:8] + "…"
                assert status == "● online"
                assert int(events.replace(",", "")) > 0
                assert int(behind) == best - int(slot) >= 0

            # The sparkline counts what the live stream brought, by the second TART received
            # it: as many as TART stored in each of a few seconds since the stream began.
            rate = app.events.rate
            await until(pilot, lambda: len(rate.counts) >= 6, what="6 seconds of events")
            await pilot.pause(2)
            seconds = sorted(rate.counts)[1:-2]  # whole seconds, all delivered
            stored = dict(
                query(
                    network.database_url,
                    "SELECT extract(epoch FROM date_trunc('second', created_at))::bigint, "
                    "count(*) FROM events WHERE created_at >= to_timestamp(%s) "
                    "AND created_at < to_timestamp(%s) GROUP BY 1",
                    (seconds[0], seconds[-1] + 1),
                )
            )
            assert {s: rate.counts[s] for s in seconds} == {s: stored.get(s, 0) for s in seconds}
            assert f"{rate.per_second():,.0f} events/s" in plain(screen.query_one("#rate-figure"))
            assert rate.series(30)[-1] > 0

    run(scenario())


def test_tab_switches_to_the_live_events_and_the_keys_move_and_quit(network):
    async def scenario():
        app = Dashboard(network.api, refresh_ms=200)
        async with app.run_test(size=WIDE) as pilot:
            await until(pilot, lambda: app.connection == "live", what="live")
            await pilot.press("tab")
            events = app.screen.query_one(EventTable)
            assert app.focused is events
            first = app.events.last_id
            await until(pilot, lambda: events.row_count > 40, what="40 events")
            await until(
                pilot, lambda: int(events.ordered_rows[0].key.value) > first, what="live events"
            )
            # Newest first, the status mix's three types, the node's name beside its id.
            ids = [int(row.key.value) for row in events.ordered_rows]
            assert ids == sorted(ids, reverse=True)
            for row in events.ordered_rows:
                time, kind, node, _ = cells(events, row.key)
                assert kind.split()[0] in ("10", "11", "12")
                assert node.endswith("tart-loadgen")
                assert len(time) == 12 and time[2] == ":"

            await pilot.press("down")
            await until(pilot, lambda: events.complete, what="the list held still")
            held = [row.key.value for row in events.ordered_rows]
            assert "paused" in plain(app.screen.query_one("#filter-line"))
            await pilot.press("pagedown")
            assert events.cursor_row > 5
            await pilot.pause(0.6)
            assert [row.key.value for row in events.ordered_rows] == held
            await pilot.press("pageup", "home")
            assert events.cursor_row == 0
            await until(
                pilot,
                lambda: int(events.ordered_rows[0].key.value) > int(held[0]),
                what="following again after Home",
            )

            await pilot.press("enter")
            assert isinstance(app.screen, EventScreen)
            await pilot.press("escape")
            await pilot.press("shift+tab")
            assert app.focused is app.screen.query_one(NodeTable)
            await pilot.press("q")
            await until(pilot, lambda: app.return_code is not None, what="q quits")

    run(scenario())


def test_enter_on_a_node_shows_its_sessions_events_and_decode_errors(network):
    host, port = network.telemetry
    # A node that connected once and left (a closed session, with its reason), and is now
    # connected again; a frame of it whose hash is cut short is kept with the field and the
    # byte offset where decoding failed.
    with TelemetryNode(host, port, name="polkajam", version="0.7.1") as node:
        pass
    truncated = TelemetryNode(host, port, peer=node.peer_id, name="polkajam", version="0.7.1")
    frame = truncated.encode(best_block(2))
    truncated.send_raw(frame[:-10])
    truncated.send(best_block(3))

    async def scenario():
        async with TartClient(network.api) as client:
            for _ in range(100):
                errors = await client.node_errors(node.node_id)
                details = await client.node(node.node_id)
                if errors and len(details["sessions"]) == 2 and details["event_count"]:
                    break
                await asyncio.sleep(0.1)
            details = await client.node(node.node_id)
            stored = await client.node_events(node.node_id)
        app = Dashboard(network.api, refresh_ms=200)
        async with app.run_test(size=WIDE) as pilot:
            nodes = app.screen.query_one(NodeTable)
            await until(pilot, lambda: node.node_id in nodes.shown, what="the node listed")
            row = [r.key.value for r in nodes.ordered_rows].index(node.node_id)
            nodes.move_cursor(row=row)
            await pilot.press("enter")
            assert isinstance(app.screen, NodeScreen)
            screen = app.screen
            sessions = screen.query_one(SessionTable)
            await until(pilot, lambda: sessions.row_count == 2, what="two sessions")

            info = plain(screen.query_one("#node-info"))
            assert "polkajam 0.7.1" in info and node.node_id in info and "● online" in info
            assert "slot 3" in info  # its best block
            by_id = {s["id"]: s for s in details["sessions"]}
            closed = [s for s in details["sessions"] if s["closed_at"]]
            assert len(closed) == 1 and closed[0]["close_reason"]
            assert cells(sessions, str(closed[0]["id"]))[-1] == closed[0]["close_reason"]
            still_open = next(key for key in by_id if key != closed[0]["id"])
            assert cells(sessions, str(still_open))[3] == "open"

            await pilot.press("tab")
            events = screen.query_one(EventTable)
            await until(pilot, lambda: events.row_count == len(stored), what="its events")
            assert [r.key.value for r in events.ordered_rows] == [str(e.id) for e in stored]
            assert cells(events, str(stored[0].id))[1].split() == ["11", "BestBlockChanged"]

            await pilot.press("tab")
            table = screen.query_one(ErrorTable)
            await until(pilot, lambda: table.row_count == 1, what="its decode error")
            (error,) = errors
            _, event, field, offset, reason, frame_bytes = cells(table, str(error["id"]))
            assert (event, field, offset, reason) == (
                "BestBlockChanged",
                error["field_path"],
                str(error["byte_offset"]),
                error["reason"],
            )
            assert "hash" in field and error["byte_offset"] == 13  # timestamp, type, slot
            # The bytes around the offset; the frame ended there, 10 bytes short.
            assert frame_bytes.endswith("⟨end⟩") or frame_bytes.split()[0].startswith("…")

            await pilot.press("escape")
            assert isinstance(app.screen, MainScreen)

    try:
        run(scenario())
    finally:
        truncated.close()


def test_the_event_list_filters_by_type_and_by_node(network):
    async def scenario():
        app = Dashboard(network.api, refresh_ms=200)
        async with app.run_test(size=WIDE) as pilot:
            await until(pilot, lambda: app.connection == "live", what="live")
            events = app.screen.query_one(EventTable)
            line = app.screen.query_one("#filter-line")

            await pilot.press("slash")
            assert isinstance(app.screen, FilterScreen)
            await pilot.press(*"11", "enter")
            await until(pilot, lambda: events.row_count > 20, what="events of type 11")
            assert app.screen.query_one("#tabs").active == "events-tab"
            assert plain(line).startswith("filter: 11")
            kinds = {cells(events, row.key)[1] for row in events.ordered_rows}
            assert kinds == {" 11 BestBlockChanged"}

            node_id = app.nodes[3]["node_id"]
            await type_filter(pilot, f"node:{node_id[:6]} final")
            await until(pilot, lambda: app.events.filter.node_prefix == node_id[:6], what="node")
            await until(pilot, lambda: events.row_count > 5, what="the node's events")
            shown = [events.shown[row.key.value] for row in events.ordered_rows]
            assert {(e.node_id, e.event_type) for e in shown} == {(node_id, 12)}

            # A term that means nothing is said so; the filter stays as it was.
            await type_filter(pilot, "nonsense")
            await until(
                pilot,
                lambda: any("nonsense" in str(n.message) for n in app._notifications),
                what="the notice",
            )
            assert app.events.filter.node_prefix == node_id[:6]

            await type_filter(pilot, "")
            await until(pilot, lambda: not app.events.filter, what="the filter cleared")
            await until(
                pilot,
                lambda: len({cells(events, r.key)[1] for r in events.ordered_rows}) == 3,
                what="every type again",
            )

            # From the Nodes tab, n shows the events of the node under the cursor.
            await pilot.press("shift+tab")
            nodes = app.screen.query_one(NodeTable)
            await pilot.press("down", "n")
            selected = nodes.selected_key
            await until(pilot, lambda: app.events.filter.node_prefix == selected, what="n")

    run(scenario())
