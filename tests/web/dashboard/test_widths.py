"""The dashboard's tables and tiles in windows from 1,024 px wide: every heading and value is
shown whole, except what is meant to be cut short (a node's id, an event's data)."""

import pytest

from tests.support.browser import cut_short
from tests.support.web_dashboard import screenshot

# BlockAnnouncementStreamOpened: the longest name of any event.
LONGEST_EVENT = 60


@pytest.mark.parametrize("width", [1024, 1400])
def test_the_overview_shows_its_headings_and_values_whole(dashboard, site, tmp_path, width):
    page = dashboard.page
    page.set_viewport_size({"width": width, "height": 1000})
    dashboard.open()
    nodes = site.nodes()
    dashboard.until(lambda: len(dashboard.node_rows()) == len(nodes), "the nodes")

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
    screenshot(page, tmp_path, f"dashboard-{width}.png")
    assert dashboard.problems.all() == []


@pytest.mark.parametrize("width", [1024, 1400])
def test_a_node_page_shows_its_headings_and_values_whole(dashboard, site, tmp_path, width):
    page = dashboard.page
    page.set_viewport_size({"width": width, "height": 1000})
    dashboard.open(f"/#/node/{site.node_ids[0]}")
    page.wait_for_selector("#node-sessions tbody tr")
    dashboard.until(lambda: dashboard.feed("#node-events"), "the node's events")
    page.wait_for_selector("#node-errors .decode-error")  # 2 % of the loadgen's frames
    assert cut_short(page, "#node-sessions th, #node-sessions td") == []
    assert cut_short(page, "#node-events th, #node-events td:not(:nth-child(4))") == []
    assert cut_short(page, "#node-errors .decode-error > :not(pre)") == []
    screenshot(page, tmp_path, f"dashboard-node-{width}.png")
    assert dashboard.problems.all() == []
