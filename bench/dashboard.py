"""The web dashboard under load: is the page still responsive with 1,024 nodes at 10,000 events/s?

    .venv/bin/python bench/dashboard.py [--nodes 1024] [--rate 10000] [--seconds 30]

Starts an embedded PostgreSQL, `tart ingest`, gunicorn (2 gevent workers, as deployed) and
`tart loadgen` (--nodes nodes, --rate events/s in all, every kind of event), then opens the
dashboard in headless chromium (Debian's, driven by playwright) and measures it for --seconds
once every node is connected:

- busy: the share of wall time its main thread spent on tasks (scripts, style, layout, paint);
- lag: how much older the newest event in its live feed is than the newest stored one (what the
  page adds to TART's own delay), sampled every second;
- input: from typing into the nodes' search box to the next frame, sampled every 2 s;
- the events/s it shows against what TART stored.

Prints them and writes bench/results/dashboard.json. Browser, gunicorn, ingest, loadgen and
PostgreSQL share the machine's cores: on the project's 2-core machine the browser gets what the
rest leaves, where an operator's browser would have a machine of its own.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from _ingest import Ingest
from _loadgen import loadgen
from _pg import BenchPostgres
from _report import machine, run_facts
from _web import Web
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
sys.path.insert(0, str(REPO))
from tests.support.browser import ARGS, CHROMIUM  # noqa: E402 (after the path is set)

# Responsive: the main thread has time to spare, the feed keeps up, typing answers at once.
TARGETS = {"busy_percent": 50, "lag_p99_s": 2.0, "input_max_ms": 200}
INPUT_LATENCY_JS = """async (text) => {
    const search = document.querySelector('#nodes-search');
    const started = performance.now();
    search.value = text;
    search.dispatchEvent(new Event('input'));
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve)));
    return performance.now() - started;
}"""


def main():
    options = _arguments()
    RESULTS.mkdir(exist_ok=True)
    with BenchPostgres() as pg:
        url = pg.database("bench_dashboard")
        ingest = Ingest(url, options.nodes, RESULTS / "dashboard-ingest.log")
        try:
            with (
                Web(url, RESULTS / "dashboard-web.log") as web,
                open(RESULTS / "dashboard-loadgen.log", "w") as log,
                loadgen(
                    ingest,
                    options.nodes,
                    options.rate / options.nodes,
                    options.seconds + 60,  # stopped when measured
                    5,
                    "all",
                    RESULTS / "dashboard-loadgen.json",
                    log,
                ),
            ):
                ingest.wait_until(
                    lambda: ingest.connections() == options.nodes, 120, "every node to connect"
                )
                results = _measure(ingest, web, options)
        finally:
            ingest.stop()
    results.update(
        **run_facts(),
        machine=machine(),
        targets=TARGETS,
    )
    (RESULTS / "dashboard.json").write_text(json.dumps(results, indent=1) + "\n")
    print(
        f"{options.nodes:,} nodes, {results['stored_per_second']:,.0f} events/s stored "
        f"({options.rate:,.0f} offered), page showed {results['shown_per_second']:,.0f}/s"
    )
    for name, target in TARGETS.items():
        verdict = "ok" if results[name] <= target else "ABOVE TARGET"
        print(f"{name}: {results[name]} ({verdict} {target})")
    print(
        f"lag p50 {results['lag_p50_s']} s; input p50 {results['input_p50_ms']} ms; "
        f"nodes table rows in the document {results['table_rows']}; "
        f"DOM nodes {results['dom_nodes']:,}; JS heap {results['heap_mb']} MB"
    )
    print(f"written to {RESULTS / 'dashboard.json'}")


def _measure(ingest, web, options):
    base = f"http://127.0.0.1:{web.port}/"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        problems = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(base)
        page.wait_for_selector("#link[data-state='live']", timeout=60_000)
        page.wait_for_timeout(6000)  # the rate tile needs 5 s of events
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        before, first_id, started = _metrics(cdp), ingest.max_id(), time.monotonic()
        lags, inputs, shown = [], [], []
        while time.monotonic() - started < options.seconds:
            time.sleep(1)
            shown_id = page.evaluate(
                "Number(document.querySelector('#feed tbody tr')?.dataset.eventId)"
            )
            (lag,) = ingest.sql(
                "SELECT extract(epoch FROM (SELECT max(created_at) FROM events)"
                " - (SELECT created_at FROM events WHERE id = %s))",
                (shown_id,),
            )[0]
            lags.append(float(lag))
            rate = page.inner_text("#tile-rate").replace(",", "")
            if rate != "–":
                shown.append(float(rate))
            if len(lags) % 2 == 0:
                text = f"{len(lags) % 16:x}"
                inputs.append(page.evaluate(INPUT_LATENCY_JS, text))
        elapsed = time.monotonic() - started
        after, last_id = _metrics(cdp), ingest.max_id()
        table_rows = page.eval_on_selector_all("#nodes tbody tr[data-node-id]", "r => r.length")
        browser.close()
    if problems:
        raise SystemExit(f"the page failed: {problems}")
    lags.sort()
    return {
        "nodes": options.nodes,
        "offered_per_second": options.rate,
        "seconds": round(elapsed, 1),
        "stored_per_second": round((last_id - first_id) / elapsed),
        "shown_per_second": round(statistics.median(shown)),
        "busy_percent": round(100 * (after["TaskDuration"] - before["TaskDuration"]) / elapsed, 1),
        "script_percent": round(
            100 * (after["ScriptDuration"] - before["ScriptDuration"]) / elapsed, 1
        ),
        "lag_p50_s": round(lags[len(lags) // 2], 2),
        "lag_p99_s": round(lags[min(len(lags) - 1, int(0.99 * len(lags)))], 2),
        "input_p50_ms": round(statistics.median(inputs), 1),
        "input_max_ms": round(max(inputs), 1),
        "table_rows": table_rows,
        "dom_nodes": int(after["Nodes"]),
        "heap_mb": round(after["JSHeapUsedSize"] / 1e6, 1),
    }


def _metrics(cdp):
    return {item["name"]: item["value"] for item in cdp.send("Performance.getMetrics")["metrics"]}


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1024)
    parser.add_argument("--rate", type=float, default=10_000, help="events/s, all nodes together")
    parser.add_argument("--seconds", type=float, default=30)
    return parser.parse_args()


if __name__ == "__main__":
    main()
