"""The web dashboard at `/`, in a real browser (Debian's chromium driven by playwright), against
a real TART (ingest, gunicorn with two gevent workers, PostgreSQL) fed by `tart loadgen`."""

import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import tart
from tart.loadgen.nodes import IMPLEMENTATION_NAME, node_id
from tart.web.dashboard import STATIC
from tests.support.browser import Problems, chromium
from tests.support.ingest import query, running_ingest, wait_for_rows
from tests.support.node import TelemetryNode, best_block
from tests.support.procs import free_port, running
from tests.support.procs import tart as tart_command
from tests.support.web import running_web

NODES = 12
RATE = 20  # events per second per node
# Where the tests leave the README's pictures as well: TART_SCREENSHOT_DIR=docs .venv/bin/pytest
# tests/web/test_dashboard.py. They always take them (into pytest's temporary directory).
SCREENSHOTS = "TART_SCREENSHOT_DIR"
# Generous for a loaded 2-core machine; what the issue asks (new events within 2 s) is
# measured on its own, below.
WAIT_MS = 15_000


@dataclass
class Site:
    database_url: str
    ingest: tuple  # (host, port)
    base: str
    node_ids: list  # the loadgen's; some tests connect nodes of their own too

    def nodes(self) -> dict:
        """Every node TART knows, and whether it is connected."""
        return dict(query(self.database_url, "SELECT node_id, is_connected FROM known_nodes"))


@pytest.fixture(scope="module")
def site(pg):
    """TART with NODES loadgen nodes sending every kind of event, 2 % of frames garbage."""
    database_url = pg.fresh_database()
    try:
        with running_ingest(database_url) as (host, port, _), running_web(database_url) as (web, _):
            loadgen = tart_command(
                "loadgen", "--telemetry", f"{host}:{port}", "--nodes", str(NODES),
                "--rate", str(RATE), "--duration", "900", "--garbage-rate", "0.02",
                "--ramp-up", "3",  # so that the nodes are at different points of their cycles
            )  # fmt: skip
            with running(loadgen):
                wait_for_rows(
                    database_url, "SELECT count(*) FROM known_nodes WHERE is_connected", NODES
                )
                yield Site(
                    database_url,
                    (host, port),
                    f"http://127.0.0.1:{web}",
                    sorted(node_id(0, index) for index in range(NODES)),
                )
    finally:
        pg.drop_database(database_url)


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def screenshot(page, directory, name):
    path = directory / name
    page.screenshot(path=path, full_page=True)
    assert path.read_bytes().startswith(b"\x89PNG")
    if os.environ.get(SCREENSHOTS):
        shutil.copy(path, Path(os.environ[SCREENSHOTS]) / name)


class Dashboard:
    """One browser page (with its own storage) on the dashboard, and what it reports."""

    def __init__(self, browser, base):
        self.base = base
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.page.set_default_timeout(WAIT_MS)
        self.problems = Problems(self.page)

    def open(self, path="/"):
        self.page.goto(self.base + path)
        self.wait_live()

    def wait_live(self):
        self.page.wait_for_selector("#link[data-state='live']")

    def text(self, selector) -> str:
        return self.page.inner_text(selector)

    def number(self, selector) -> float:
        return float(self.text(selector).replace(",", ""))

    def until(self, condition, what, timeout=WAIT_MS / 1000):
        """Wait until `condition()` is true (it may read the page); fail saying `what`."""
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"not in time: {what}"
            time.sleep(0.1)

    def feed(self, table="#feed") -> list[dict]:
        """The rows of an event table, newest first."""
        return self.page.eval_on_selector_all(
            f"{table} tbody tr",
            "rows => rows.map(r => ({id: Number(r.dataset.eventId), node: r.dataset.nodeId,"
            " type: Number(r.dataset.eventType), cells: [...r.cells].map(c => c.innerText)}))",
        )

    def node_rows(self) -> list[dict]:
        return self.page.eval_on_selector_all(
            "#nodes tbody tr[data-node-id]",
            "rows => rows.map(r => ({id: r.dataset.nodeId, pinned: r.classList.contains('pinned'),"
            " cells: [...r.cells].map(c => c.innerText)}))",
        )

    def close(self):
        self.context.close()


@pytest.fixture
def dashboard(browser, site):
    dashboard = Dashboard(browser, site.base)
    yield dashboard
    dashboard.close()


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


def test_the_nodes_table_sorts_searches_and_pins(dashboard, site):
    dashboard.open()
    nodes = sorted(site.nodes())
    dashboard.until(lambda: len(dashboard.node_rows()) == len(nodes), "the nodes")

    def column(index):
        return [row["cells"][index] for row in dashboard.node_rows()]

    def numbers(index):
        return [int(value.replace(",", "")) for value in column(index)]

    dashboard.page.click("#nodes th[data-sort='events']")
    assert (
        dashboard.page.get_attribute("#nodes th[data-sort='events']", "aria-sort") == "descending"
    )
    dashboard.until(lambda: numbers(8) == sorted(numbers(8), reverse=True), "most events first")
    dashboard.page.click("#nodes th[data-sort='events']")
    dashboard.until(lambda: numbers(8) == sorted(numbers(8)), "fewest events first")
    dashboard.page.click("#nodes th[data-sort='id']")
    assert [row["id"] for row in dashboard.node_rows()] == nodes

    # Search by the start of an id, and by implementation.
    wanted = site.node_ids[5]
    dashboard.page.fill("#nodes-search", "0x" + wanted[:6].upper())
    assert [row["id"] for row in dashboard.node_rows()] == [wanted]
    assert dashboard.text("#nodes-count") == f"1 of {len(nodes)} nodes"
    dashboard.page.fill("#nodes-search", "no such node")
    assert dashboard.node_rows() == []
    dashboard.page.fill("#nodes-search", IMPLEMENTATION_NAME.upper())
    assert sorted(row["id"] for row in dashboard.node_rows()) == site.node_ids
    dashboard.page.fill("#nodes-search", "")

    # A pinned node stays on top, whatever the order, and after a reload.
    last = site.node_ids[-1]
    dashboard.page.click(f"#nodes tr[data-node-id='{last}'] button.pin-toggle")
    first = dashboard.node_rows()[0]
    assert first["id"] == last and first["pinned"]
    dashboard.page.click("#nodes th[data-sort='events']")
    assert dashboard.node_rows()[0]["id"] == last
    dashboard.page.reload()
    dashboard.wait_live()
    dashboard.until(lambda: len(dashboard.node_rows()) == len(nodes), "the nodes again")
    assert dashboard.node_rows()[0]["id"] == last and dashboard.node_rows()[0]["pinned"]
    dashboard.page.click(f"#nodes tr[data-node-id='{last}'] button.pin-toggle")
    assert [row["id"] for row in dashboard.node_rows() if row["pinned"]] == []
    assert dashboard.problems.all() == []


def test_a_node_page_shows_the_node_its_sessions_events_and_decode_errors(
    dashboard, site, tmp_path
):
    with TelemetryNode(*site.ingest, name="jamduna", version="0.9.2") as node:
        node.send(best_block(40))
        truncated = node.encode(best_block(41))[:-3]  # the hash is 3 bytes short
        node.send_raw(truncated)
        ends_early = node.encode(best_block(42))[:13]  # no hash at all
        node.send_raw(ends_early)
        wait_for_rows(
            site.database_url,
            "SELECT count(*) FROM decode_errors WHERE node_id = %s",
            2,
            params=(node.node_id,),
        )
        dashboard.open()
        dashboard.page.fill("#nodes-search", node.node_id[:10])
        dashboard.page.click(f"#nodes tr[data-node-id='{node.node_id}'] td.id a")
        page = dashboard.page
        page.wait_for_selector("#node-page:not([hidden])")
        assert page.url.endswith(f"#/node/{node.node_id}")
        dashboard.until(lambda: "jamduna 0.9.2" in dashboard.text("#node-title"), "the node's name")
        info = dashboard.text("#node-info")
        assert node.node_id in info and "0x" + "11" * 32 in info  # its id and genesis
        # Its best block, and its session's counts: written by ingest about once a second.
        dashboard.until(lambda: "slot 40" in dashboard.text("#node-info"), "the best block")

        def sessions():
            return page.eval_on_selector_all(
                "#node-sessions tbody tr",
                "rows => rows.map(r => [...r.cells].map(c => c.innerText))",
            )

        dashboard.until(lambda: sessions() and sessions()[0][7] == "2", "2 undecodable frames")
        assert len(sessions()) == 1 and sessions()[0][3] == "open"

        # Latest events, and a new one arriving while the page is open.
        dashboard.until(lambda: dashboard.feed("#node-events"), "the node's events")
        assert [row["cells"][2] for row in dashboard.feed("#node-events")] == ["BestBlockChanged"]
        node.send(best_block(43))
        dashboard.until(lambda: len(dashboard.feed("#node-events")) == 2, "the new event")
        newest = dashboard.feed("#node-events")[0]
        assert newest["cells"][1] == "3"  # JIP-3 event ids: 0, then two undecodable frames

        # Decode errors, newest first: the field, the offset, and the frame with its byte marked.
        cards = page.query_selector_all("#node-errors .decode-error")
        assert len(cards) == 2
        early, short = cards
        assert "BestBlockChanged (11) · BestBlockChanged.hash · at byte 13" in short.inner_text()
        mark = short.query_selector("mark")
        assert mark.inner_text() == truncated[13:14].hex()
        assert mark.get_attribute("title") == "byte 13: decoding failed here"
        assert dumped(short.query_selector(".hexdump").inner_text()) == truncated.hex()
        assert "at byte 13" in early.inner_text() and early.query_selector("mark") is None
        assert "end of frame at byte 13" in early.query_selector(".hexdump").inner_text()
        screenshot(page, tmp_path, "dashboard-node.png")

        page.click("text=← All nodes")
        page.wait_for_selector("#overview:not([hidden])")
    assert dashboard.problems.all() == []


def dumped(text: str) -> str:
    """The bytes of a hex dump (rows of an offset, then bytes), as one hex string."""
    found = ""
    for line in text.splitlines():
        offset, *octets = line.split()
        if offset.isdigit():
            found += "".join(octets)
    return found


def test_a_node_page_for_an_unknown_node_says_so(dashboard, site):
    dashboard.open("/#/node/" + "ab" * 32)
    dashboard.page.wait_for_selector("#node-missing:not([hidden])")
    assert "No node with id" in dashboard.text("#node-missing")
    # The 404 of GET /api/nodes/<id> is the one error the browser reports.
    assert [text for text in dashboard.problems.all() if "404" not in text] == []


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
