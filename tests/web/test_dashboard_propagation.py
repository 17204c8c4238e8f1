"""The dashboard's block propagation and work-package funnel panel, in a real browser, against
a real TART fed the lifecycles mix by `tart loadgen`."""

import json

import requests

from tart.loadgen import lifecycles as mix
from tart.loadgen.nodes import node_id
from tests.support.browser import Problems, chromium, cut_short
from tests.support.ingest import running_ingest, wait_for_rows
from tests.support.loadgen import loadgen
from tests.support.web import running_web

NODES = 5
CYCLES = 2
WAIT_MS = 15_000


def test_the_panel_shows_blocks_and_the_funnel(database_url, tmp_path):
    summary = tmp_path / "summary.json"
    with running_ingest(database_url) as (_, port, _), running_web(database_url) as (web, _):
        done = loadgen(
            port,
            "--mix", "lifecycles", "--nodes", str(NODES), "--cycles", str(CYCLES),
            "--rate", "2000", "--summary-json", str(summary),
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        sent = json.loads(summary.read_text())["events"]
        wait_for_rows(database_url, "SELECT count(*) FROM events", sent)
        base = f"http://127.0.0.1:{web}"
        blocks = requests.get(f"{base}/api/blocks?limit=12", timeout=10).json()["blocks"]
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(WAIT_MS)
            problems = Problems(page)
            page.goto(base + "/")
            page.wait_for_selector(f"#blocks tbody tr:nth-child({len(blocks)})")
            rows = page.eval_on_selector_all(
                "#blocks tbody tr",
                "rows => rows.map(r => ({hash: r.dataset.hash,"
                " cells: [...r.cells].map(c => c.innerText)}))",
            )
            assert [row["hash"] for row in rows] == [block["header_hash"] for block in blocks]
            for row, block in zip(rows, blocks):
                slot, _, author, had, *spreads = row["cells"]
                assert int(slot.replace(",", "")) == block["slot"]
                assert block["author_node_id"] in {node_id(0, i) for i in range(NODES)}
                assert author == "tart-loadgen " + block["author_node_id"][:8] + "…"
                assert had == f"{NODES - 1} / {NODES}"
                assert len(spreads) == 4 and all(text.endswith(" ms") for text in spreads)

            packages = mix.slots(NODES) * CYCLES
            failing = CYCLES * sum(mix.fails(slot) for slot in range(mix.slots(NODES)))
            funnel = dict(
                page.eval_on_selector_all(
                    "#funnel tbody tr",
                    "rows => rows.map(r => [r.dataset.role + '/' + r.dataset.stage,"
                    " r.cells[2].innerText])",
                )
            )
            assert funnel["primary/submitted"] == str(packages)
            assert funnel["primary/distributed"] == str(packages - failing)
            assert funnel["primary/failed"] == str(failing)
            assert funnel["secondary/signature_sent"] == str(2 * (packages - failing))
            failures = page.inner_text("#funnel-failures")
            assert f"{failing} × WorkPackageFailed: {mix.FAILURE_REASON}" in failures
            # Every figure, heading and author is shown whole, from a 1,024 px window on: only
            # hashes may be cut short.
            shown = "#blocks th, #blocks td:not(:nth-child(2)), #funnel th, #funnel td"
            assert cut_short(page, shown) == []
            page.screenshot(path=tmp_path / "propagation.png", full_page=True)
            page.set_viewport_size({"width": 1024, "height": 1000})
            assert cut_short(page, shown) == []
            page.screenshot(path=tmp_path / "propagation-1024.png", full_page=True)
            assert problems.all() == []
