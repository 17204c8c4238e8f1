"""A block's and a work-package's pages are kept by each web worker until a commit changes that
block or work-package (tart.web.api.page_cache): a new import or stage shows at once, commits
of other blocks and packages leave the page kept."""

import time

import requests

from tart.web.api import blocks, workpackages
from tests.support.ingest import query, running_ingest, wait_for_rows
from tests.support.live import LiveClient
from tests.support.node import TelemetryNode, best_block, block_outline, work_package_received
from tests.support.web import running_web, web_base

BLOCK = "0x" + "c5" * 32
PACKAGE = "0x" + "a7" * 32


def kept_until_a_commit(session, path, rewrite):
    """Wait until the worker keeps `path`'s page: a change made behind the API's back (no
    commit) by `rewrite(marker)` does not show. The page and when it was kept."""
    marker, deadline = 0, time.monotonic() + 10
    while True:
        marker += 1
        before = get(session, path)
        rewrite(f"marker {marker}")
        if get(session, path) == before:
            return before, time.monotonic()
        assert time.monotonic() < deadline, "the page was never kept"


def get(session, path):
    response = session.get(path, timeout=10)  # keep-alive: the same worker answers
    assert response.status_code == 200, response.text
    return response.json()


def test_a_kept_block_page_shows_a_new_import_as_soon_as_it_is_committed(database_url):
    with (
        running_ingest(database_url) as (host, port, _),
        web_base(database_url) as base,
        TelemetryNode(host, port) as first,
        TelemetryNode(host, port) as second,
        requests.Session() as session,
    ):
        first.send({"Importing": {"slot": 7, "outline": block_outline(BLOCK)}})
        wait_for_rows(database_url, "SELECT count(*) FROM block_sightings", 1)
        path = f"{base}/api/blocks/{BLOCK}"

        def rewrite(marker):
            query(database_url, "UPDATE block_sightings SET failure = %s RETURNING 1", (marker,))

        before, kept_at = kept_until_a_commit(session, path, rewrite)
        assert [node["node_id"] for node in before["blocks"][0]["nodes"]] == [first.node_id]

        second.send({"Importing": {"slot": 7, "outline": block_outline(BLOCK)}})
        second.send({"BlockExecuted": {"authoring_or_importing_id": 0, "accumulated": []}})
        wait_for_rows(database_url, "SELECT count(imported_at) FROM block_sightings", 1)
        while len((page := get(session, path))["blocks"][0]["nodes"]) < 2:
            # Pages expire after at least 3/4 of their lifetime: sooner, only the commit did it.
            assert time.monotonic() - kept_at < blocks.DETAILS_LIFETIME * 0.75, "not renewed"
            time.sleep(0.01)
        (block,) = page["blocks"]
        assert block["reporting_nodes"] == 2 and block["nodes_had"] == 2
        imported = {node["node_id"]: node["imported_at"] for node in block["nodes"]}
        assert imported[first.node_id] is None and imported[second.node_id] is not None


def test_a_kept_work_package_page_shows_a_new_stage_as_soon_as_it_is_committed(database_url):
    builder = "0x" + "5f" * 32
    with (
        running_ingest(database_url) as (host, port, _),
        web_base(database_url) as base,
        TelemetryNode(host, port) as node,
        requests.Session() as session,
    ):
        node.send({"WorkPackageSubmission": {"builder": builder, "ce_146": True}})
        node.send(work_package_received(0, PACKAGE))
        wait_for_rows(database_url, "SELECT count(received) FROM work_package_pipelines", 1)
        path = f"{base}/api/workpackages/{PACKAGE}"

        def rewrite(marker):
            query(database_url, "UPDATE work_package_pipelines SET failure = %s RETURNING 1",
                  (marker,))  # fmt: skip

        before, kept_at = kept_until_a_commit(session, path, rewrite)
        assert before["furthest_stage"] == "received"

        node.send({"WorkPackageFailed": {"submission_or_share_id": 0, "reason": "no core"}})
        wait_for_rows(database_url, "SELECT count(failed) FROM work_package_pipelines", 1)
        while (page := get(session, path))["pipelines"][0]["failed"] is None:
            assert time.monotonic() - kept_at < workpackages.DETAILS_LIFETIME * 0.75, "not renewed"
            time.sleep(0.01)
        (pipeline,) = page["pipelines"]
        assert [(f["event_name"], f["reason"]) for f in pipeline["failures"]] == [
            ("WorkPackageFailed", "no core")
        ]


def heard(database_url, live, stored):
    """Wait until `stored` events are stored and the worker's listener has handed the last to
    `live`: it has then heard of every commit up to it, and of what they changed."""
    wait_for_rows(database_url, "SELECT count(*) FROM events", stored)
    ((last,),) = query(database_url, "SELECT max(id) FROM events")
    while (message := live.message())["type"] != "event" or message["data"]["id"] < last:
        pass


def test_a_block_page_is_kept_across_commits_that_do_not_change_it(database_url):
    other = "0x" + "d6" * 32
    with (
        running_ingest(database_url) as (host, port, _),
        running_web(database_url, workers=1, PROMETHEUS_MULTIPROC_DIR=None) as (web, _),
        LiveClient(web) as live,  # on the one worker
        TelemetryNode(host, port) as first,
        TelemetryNode(host, port) as second,
        requests.Session() as session,
    ):
        first.send({"Importing": {"slot": 7, "outline": block_outline(BLOCK)}})
        heard(database_url, live, 1)
        paths = [f"http://127.0.0.1:{web}/api/blocks/{block}" for block in (BLOCK, "7")]

        def rewrite(marker):
            query(database_url, "UPDATE block_sightings SET failure = %s RETURNING 1", (marker,))

        kept = [kept_until_a_commit(session, path, rewrite) for path in paths]

        # Another block of another slot, and an event of no block: the pages stay kept.
        first.send({"Importing": {"slot": 8, "outline": block_outline(other)}})
        first.send(best_block(8))
        heard(database_url, live, 3)
        assert [get(session, path) for path in paths] == [page for page, _ in kept]
        assert time.monotonic() - kept[0][1] < blocks.DETAILS_LIFETIME * 0.75, "expired: unsure"

        # The block's own commit: the next request after the worker heard it has it.
        second.send({"Importing": {"slot": 7, "outline": block_outline(BLOCK)}})
        heard(database_url, live, 4)
        for path in paths:
            (block,) = get(session, path)["blocks"]
            assert {node["node_id"] for node in block["nodes"]} == {first.node_id, second.node_id}


def test_a_work_package_page_is_kept_across_commits_that_do_not_change_it(database_url):
    builder, other = "0x" + "5f" * 32, "0x" + "b8" * 32
    submission = {"WorkPackageSubmission": {"builder": builder, "ce_146": True}}
    with (
        running_ingest(database_url) as (host, port, _),
        running_web(database_url, workers=1, PROMETHEUS_MULTIPROC_DIR=None) as (web, _),
        LiveClient(web) as live,
        TelemetryNode(host, port) as node,
        requests.Session() as session,
    ):
        node.send(submission)
        node.send(work_package_received(0, PACKAGE))
        heard(database_url, live, 2)
        path = f"http://127.0.0.1:{web}/api/workpackages/{PACKAGE}"

        def rewrite(marker):
            query(database_url, "UPDATE work_package_pipelines SET failure = %s RETURNING 1",
                  (marker,))  # fmt: skip

        before, kept_at = kept_until_a_commit(session, path, rewrite)

        node.send(submission)  # another package, on JIP-3 event IDs 2 and 3
        node.send(work_package_received(2, other))
        heard(database_url, live, 4)
        assert get(session, path) == before
        assert time.monotonic() - kept_at < workpackages.DETAILS_LIFETIME * 0.75, "expired: unsure"

        # A failure of its pipeline changes only work_package_failures.
        node.send({"WorkPackageSharingFailed": {"submission_id": 0, "secondary": "0x" + "ab" * 32,
                                                "reason": "peer gone"}})  # fmt: skip
        heard(database_url, live, 5)
        (pipeline,) = get(session, path)["pipelines"]
        assert [(f["event_name"], f["reason"]) for f in pipeline["failures"]] == [
            ("WorkPackageSharingFailed", "peer gone")
        ]
