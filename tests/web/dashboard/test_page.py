"""The web dashboard's page in a real browser: its tiles, chart and live feed, its filters,
what it says while TART is away, and the files it is served from."""

import os
import re
import time

import tart
from tart.loadgen.nodes import IMPLEMENTATION_NAME
from tart.web.dashboard import STATIC
from tests.support.ingest import wait_for_rows
from tests.support.node import TelemetryNode, best_block
from tests.support.procs import free_port
from tests.support.web import running_web
from tests.support.web_dashboard import NODES, RATE, SCREENSHOTS, Dashboard, screenshot


def test_the_page_shows_the_loadgen_network_live(dashboard, site, tmp_path):
    dashboard.open()
    # Tiles: every node connected, blocks, and the events and garbage the loadgen sends.
    nodes = site.nodes()
    tile = f"{sum(nodes.values())} / {len(nodes)}"
    dashboard.until(lambda: dashboard.text("#tile-nodes") == tile, f"nodes tile {tile}")
    assert dashboard.number("#tile-best") >= dashboard.number("#tile-finalized") > 0
    dashboard.until(lambda: dashboard.text("#tile-rate") not in ("–", "0"), "an event rate")
    assert NODES * RATE / 2 < dashboard.number("#tile-rate") < NODES * RATE * 2
    # Decode errors/s needs two `stats` messages, 5 s apart.
    dashboard.until(lambda: dashboard.text("#tile-errors") not in ("–", "0"), "a decode error rate")
    assert 0 < dashboard.number("#tile-errors") < dashboard.number("#tile-rate")

    # The nodes table: every node, the loadgen's with what the loadgen says of them.
    rows = dashboard.node_rows()
    assert sorted(row["id"] for row in rows) == sorted(nodes)
    assert dashboard.text("#nodes-count") == f"{len(nodes)} nodes"
    for row in rows:
        if row["id"] not in site.node_ids:
            continue
        _pin, _id, name, version, connected, best, finalized, behind, events, _ = row["cells"]
        assert (name, version, connected) == (IMPLEMENTATION_NAME, tart.__version__, "● yes")
        assert int(best.replace(",", "")) > int(finalized.replace(",", "")) > 0
        # Each node's best block is the slot of the clock when it last sent one, once a cycle
        # (117 events, about 6 s here): the nodes are at most a slot or two apart.
        assert int(behind) <= 2 and int(events.replace(",", "")) > 0

    # The chart: every category the loadgen sends has a rate once a 5 s column is complete.
    def rates():
        return {
            item.get_attribute("data-category"): item.query_selector(".rate").inner_text()
            for item in dashboard.page.query_selector_all("#chart-legend li")
        }

    def busy():
        return {
            key
            for key, value in rates().items()
            if value != "–" and float(value.replace(",", "")) > 0
        }

    sent = {"status", "networking", "block_authoring", "guaranteeing"}
    dashboard.until(lambda: sent <= busy(), "a live column with every category the loadgen sends")
    # History before the page opened comes from /api/analytics/timeseries, by the minute.
    assert dashboard.text("#chart-note") == "per 1 min before this page opened, then per 5 s"

    # The feed: loadgen events, newest first.
    feed = dashboard.feed()
    assert feed and [row["id"] for row in feed] == sorted((row["id"] for row in feed), reverse=True)
    assert {row["node"] for row in feed} <= set(site.node_ids)

    if os.environ.get(SCREENSHOTS):
        time.sleep(30)  # for the README's picture: a chart with more than a column or two
    screenshot(dashboard.page, tmp_path, "dashboard.png")
    assert dashboard.problems.all() == []


def test_a_new_event_is_in_the_feed_within_2_seconds(dashboard, site):
    with TelemetryNode(*site.ingest, name="polkajam") as node:
        node.send(best_block(76))
        wait_for_rows(
            site.database_url,
            "SELECT count(*) FROM events WHERE node_id = %s",
            1,
            params=(node.node_id,),
        )
        dashboard.open()
        # The loadgen's events pass by faster than the feed shows them (it keeps the newest):
        # watch this node's.
        dashboard.page.select_option("#feed-node", node.node_id)
        dashboard.until(lambda: len(dashboard.feed()) == 1, "the node's stored event")
        dashboard.page.evaluate(
            """() => new MutationObserver(() => {
                if (document.querySelectorAll('#feed tbody tr').length === 2) {
                    window.shownAt ??= Date.now();
                }
            }).observe(document.querySelector('#feed tbody'), {childList: true})"""
        )
        sent_at = time.time() * 1000
        node.send(best_block(77))
        dashboard.until(lambda: dashboard.page.evaluate("window.shownAt"), "the new event")
        assert dashboard.page.evaluate("window.shownAt") - sent_at < 2000
    assert dashboard.problems.all() == []


def test_the_feed_filters_by_node_and_by_type(dashboard, site):
    dashboard.open()
    chosen = site.node_ids[3]
    dashboard.until(
        lambda: dashboard.page.query_selector(f"#feed-node option[value='{chosen}']"), "node option"
    )
    dashboard.page.select_option("#feed-node", chosen)
    dashboard.until(lambda: len(dashboard.feed()) >= 20, "the node's events")  # stored ones
    assert {row["node"] for row in dashboard.feed()} == {chosen}
    newest = dashboard.feed()[0]["id"]
    dashboard.until(lambda: dashboard.feed()[0]["id"] > newest, "the node's new events")
    assert {row["node"] for row in dashboard.feed()} == {chosen}

    dashboard.page.select_option("#feed-type", "t:11")  # BestBlockChanged
    dashboard.until(lambda: dashboard.feed(), "the node's BestBlockChanged events")
    first = dashboard.feed()
    assert all(row["node"] == chosen and row["type"] == 11 for row in first)
    assert all(row["cells"][2] == "BestBlockChanged" for row in first)
    # The loadgen sends each event once per cycle of all 115: a new one comes in ~6 s.
    dashboard.until(lambda: dashboard.feed()[0]["id"] > first[0]["id"], "a new BestBlockChanged")
    assert all(row["node"] == chosen and row["type"] == 11 for row in dashboard.feed())

    dashboard.page.select_option("#feed-type", "c:status")  # a whole category
    dashboard.until(lambda: {row["type"] for row in dashboard.feed()} == {10, 11, 12, 13}, "status")

    dashboard.page.select_option("#feed-node", "")
    dashboard.until(lambda: len({row["node"] for row in dashboard.feed()}) > 1, "every node")
    assert {row["type"] for row in dashboard.feed()} <= {10, 11, 12, 13}

    # Paused, the feed holds still while events arrive.
    dashboard.page.select_option("#feed-type", "")
    # A filter change empties the feed until its stored page comes: pause once it is shown.
    dashboard.until(
        lambda: {row["type"] for row in dashboard.feed()} - {10, 11, 12, 13}, "every type"
    )
    dashboard.page.click("#feed-pause")
    held = dashboard.feed()
    assert held
    time.sleep(1.5)
    assert dashboard.feed() == held
    assert dashboard.text("#feed-note").startswith("paused")
    dashboard.page.click("#feed-pause")
    dashboard.until(
        lambda: (rows := dashboard.feed()) and rows[0]["id"] > held[0]["id"], "the feed going on"
    )
    assert dashboard.problems.all() == []


def test_the_page_says_when_tart_is_away_and_resumes_after_it_returns(browser, site):
    port = free_port()
    with TelemetryNode(*site.ingest, name="pbnj") as node:
        node.send(best_block(1))
        with running_web(site.database_url, port=port):
            dashboard = Dashboard(browser, f"http://127.0.0.1:{port}")
            dashboard.open()
            dashboard.until(
                lambda: dashboard.page.query_selector(f"#feed-node option[value='{node.node_id}']"),
                "the node in the filter",
            )
            dashboard.page.select_option("#feed-node", node.node_id)
            dashboard.until(lambda: len(dashboard.feed()) == 1, "the node's first event")
        # The web process is gone: the page says so and keeps trying.
        dashboard.page.wait_for_selector("#link[data-state='down']")
        assert "Lost the connection to TART" in dashboard.text("#banner")
        for slot in (2, 3, 4):  # stored meanwhile, by ingest
            node.send(best_block(slot))
        wait_for_rows(
            site.database_url,
            "SELECT count(*) FROM events WHERE node_id = %s",
            4,
            params=(node.node_id,),
        )
        with running_web(site.database_url, port=port):
            dashboard.page.wait_for_selector("#link[data-state='live']", timeout=30_000)
            assert "Reconnected to TART" in dashboard.text("#banner")
            # The stream resumed after the last event the page had: the three it missed, once.
            dashboard.until(lambda: len(dashboard.feed()) == 4, "the events sent while away")
            feed = dashboard.feed()
            assert [row["type"] for row in feed] == [11] * 4
            assert [row["id"] for row in feed] == sorted({row["id"] for row in feed}, reverse=True)
    # While TART was away the browser reported the refused connections, and nothing else.
    unexpected = [text for text in dashboard.problems.all() if "ERR_CONNECTION_REFUSED" not in text]
    assert unexpected == []
    dashboard.close()


def test_the_dashboard_is_served_from_the_package(client):
    page = client.get("/")
    assert page.status_code == 200 and page.content_type == "text/html; charset=utf-8"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    referenced = re.findall(r'(?:src|href)="(dashboard/[^"]+)"', page.text)
    assert len(referenced) == 3
    for name in sorted(path.name for path in STATIC.iterdir()):
        text = re.sub(r'xmlns="[^"]*"', "", (STATIC / name).read_text())
        # Nothing from another origin: no CDN, no fonts, no analytics.
        assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text), name
        asset = client.get(f"/dashboard/{name}")
        assert asset.status_code == 200, name
        assert asset.headers["Cache-Control"] == "no-cache, max-age=0"  # always revalidated
    assert client.get("/dashboard/main.js").content_type.startswith("text/javascript")
    # The API's errors are JSON as before, and unknown files too.
    for path in ("/api/nope", "/dashboard/nope.js", "/nope"):
        missing = client.get(path)
        assert missing.status_code == 404 and missing.json["error"].startswith("no such endpoint")
