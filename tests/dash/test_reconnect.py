"""A TART that cannot be reached is shown as such and tried again; when its web process comes
back, the live stream resumes after the last event the dashboard had: none missed, none twice."""

from tart.dash.app import Dashboard
from tests.support.ingest import scalar
from tests.support.procs import free_port
from tests.support.terminal import plain, run, until
from tests.support.web import running_web


def test_unreachable_then_live_then_resumed_after_a_restart(network):
    port = free_port()

    async def scenario():
        app = Dashboard(f"127.0.0.1:{port}", refresh_ms=200)
        async with app.run_test(size=(100, 30)) as pilot:
            await until(pilot, lambda: app.connection == "unreachable", what="unreachable")
            status = plain(app.screen.query_one("#status"))
            assert "UNREACHABLE" in status and "cannot connect" in status
            assert "retrying" in status
            assert plain(app.screen.query_one("#health")).startswith("● unreachable")
            await pilot.press("tab", "tab")  # the Blocks tab: nothing yet, and no error
            blocks = app.screen.query_one("#blocks-line")
            assert plain(blocks) == "waiting for TART…"

            with running_web(network.database_url, workers=1, port=port) as (_, web):
                await until(pilot, lambda: app.connection == "live", what="live")
                # The status mix has no blocks.
                await until(pilot, lambda: "no node has" in plain(blocks), what="blocks read")
                await until(pilot, lambda: app.events.streamed > 50, what="streamed events")
                web.stop(timeout=10)
                await until(pilot, lambda: app.connection != "live", what="the stream lost")
                streamed_before = app.events.streamed
                await pilot.pause(1.5)  # the loadgen goes on: events stored while away
            with running_web(network.database_url, workers=1, port=port):
                await until(pilot, lambda: app.connection == "live", what="live again")
                await until(
                    pilot,
                    lambda: app.events.streamed > streamed_before + 400,
                    what="events after the restart",
                )
                # Every event stored after the first the stream brought, up to the last one it
                # brought, came exactly once (ids only grow, so a count tells).
                first, last = app.events.stream_from, app.events.last_id
                stored = scalar(
                    network.database_url,
                    "SELECT count(*) FROM events WHERE id > %s AND id <= %s",
                    (first, last),
                )
                assert app.events.streamed == stored

    run(scenario())
