"""The dashboard's tables and tiles in windows from 1,024 px wide: every heading and value is
shown whole, except what is meant to be cut short (a node's id, an event's data)."""

import pytest

from tests.support.browser import cut_short, wider_than_their_box
from tests.support.ingest import wait_for_rows
from tests.support.node import TelemetryNode, best_block, peer_id
from tests.support.web_dashboard import screenshot

# BlockAnnouncementStreamOpened: the longest name of any event.
LONGEST_EVENT = 60


@pytest.mark.parametrize("width", [1024, 1400])
def test_the_overview_shows_its_headings_and_values_whole(dashboard, site, tmp_path, width):
    page = dashboard.page
    page.set_viewport_size({"width": width, "height": 1000})
    # A node still at slot 40 is as many slots behind as the loadgen's slots have digits.
    with TelemetryNode(*site.ingest, name="jamduna", version="0.9.2") as far_behind:
        far_behind.send(best_block(40))
        dashboard.open()
        nodes = site.nodes()
        dashboard.until(lambda: len(dashboard.node_rows()) == len(nodes), "the nodes")
        dashboard.until(
            lambda: (row := node_row(dashboard, far_behind.node_id)) and row["cells"][5] == "40",
            "the node far behind",
        )
        assert len(node_row(dashboard, far_behind.node_id)["cells"][7]) >= len("10,000,000")

        # Each heading with its sort arrow, and every value but the node's id.
        for header in page.query_selector_all("#nodes th[data-sort]"):
            header.click()
            assert header.get_attribute("aria-sort")
            assert cut_short(page, "#nodes th, #nodes tbody tr[data-node-id] td:not(.id)") == []
        assert "tart-loadgen" in [row["cells"][2] for row in dashboard.node_rows()]
    dashboard.until(lambda: dashboard.text("#tile-best") != "–", "the best block")
    assert cut_short(page, ".tile .figure") == []

    # The feed: which node ("tart-loadgen 1a2b3c4d…") and the longest event name; only the
    # event's data may be cut short.
    dashboard.page.select_option("#feed-type", f"t:{LONGEST_EVENT}")
    dashboard.until(
        lambda: (rows := dashboard.feed()) and {row["type"] for row in rows} == {LONGEST_EVENT},
        "BlockAnnouncementStreamOpened events",
    )
    assert {row["cells"][2] for row in dashboard.feed()} == {"BlockAnnouncementStreamOpened"}
    assert cut_short(page, "#feed th, #feed td:not(:nth-child(4))") == []
    assert wider_than_their_box(page, "table") == []
    screenshot(page, tmp_path, f"dashboard-{width}.png")
    assert dashboard.problems.all() == []


@pytest.mark.parametrize("width", [1024, 1400])
def test_a_node_page_shows_its_headings_and_values_whole(dashboard, site, tmp_path, width):
    # A node that came back: a closed session with its reason, and an open one.
    peer = peer_id(f"widths-{width}")
    with TelemetryNode(*site.ingest, peer=peer, name="tart-loadgen") as node:
        node.send(best_block(10_152_360))
    with TelemetryNode(*site.ingest, peer=peer, name="tart-loadgen") as node:
        node.send(best_block(10_152_361))
        node.send_raw(node.encode(best_block(10_152_362))[:-3])  # a decode error
        wait_for_rows(
            site.database_url,
            "SELECT count(*) FROM decode_errors WHERE node_id = %s",
            1,
            params=(node.node_id,),
        )
        page = dashboard.page
        page.set_viewport_size({"width": width, "height": 1000})
        # It, and a loadgen node with every kind of event and data.
        for shown in (node.node_id, site.node_ids[0]):
            dashboard.open(f"/#/node/{shown}")
            page.wait_for_selector("#node-errors .decode-error")  # 2 % of the loadgen's frames
            dashboard.until(lambda: dashboard.feed("#node-events"), "the node's events")
            if shown == node.node_id:
                page.wait_for_selector("#node-sessions tbody tr:nth-child(2)")
                assert "closed by node" in dashboard.text("#node-sessions")
            assert cut_short(page, "#node-sessions th, #node-sessions td") == []
            assert cut_short(page, "#node-events th, #node-events td:not(:nth-child(4))") == []
            assert cut_short(page, "#node-errors .decode-error > :not(pre)") == []
            assert wider_than_their_box(page, "table") == []
            screenshot(page, tmp_path, f"dashboard-node-{shown[:8]}-{width}.png")
    assert dashboard.problems.all() == []


def test_a_name_and_version_cut_short_by_their_columns_read_whole_on_hover(dashboard, site):
    # The longest a node may send: 32 bytes each.
    name, version = "an-implementation-named-at-32-ch", "1.2.3-rc.4+build.5678-linux-x64"
    page = dashboard.page
    page.set_viewport_size({"width": 1024, "height": 1000})
    with TelemetryNode(*site.ingest, name=name, version=version) as node:
        node.send(best_block(41))
        dashboard.open()
        dashboard.until(lambda: node_row(dashboard, node.node_id), "the node")
        selector = f'#nodes tr[data-node-id="{node.node_id}"] td'
        cells = page.query_selector_all(selector)
        assert (cells[2].get_attribute("title"), cells[3].get_attribute("title")) == (name, version)
        assert len(cut_short(page, f"{selector}:nth-child(3), {selector}:nth-child(4)")) == 2
    assert dashboard.problems.all() == []


def node_row(dashboard, node_id):
    return next((row for row in dashboard.node_rows() if row["id"] == node_id), None)
