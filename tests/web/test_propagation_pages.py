"""A block's and a work-package's pages are kept by each web worker until the next commit of
events (tart.web.api.page_cache), like event pages: a new import or stage shows at once."""

import time

import requests

from tart.web.api import blocks, workpackages
from tests.support.ingest import query, running_ingest, wait_for_rows
from tests.support.node import TelemetryNode
from tests.support.web import web_base
from tests.web.test_propagation import block_outline, work_package_received

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
