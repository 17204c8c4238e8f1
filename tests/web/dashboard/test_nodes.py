"""The web dashboard's nodes in a real browser: the table's order, search and pins, and a
node's own page with its sessions, events and decode errors."""

from tart.loadgen.nodes import IMPLEMENTATION_NAME
from tests.support.ingest import wait_for_rows
from tests.support.node import TelemetryNode, best_block
from tests.support.web_dashboard import screenshot


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
