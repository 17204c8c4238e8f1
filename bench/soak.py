"""A soak: 1,024 nodes for a long time, printed by the minute; fails on a leak or a lost event.

    .venv/bin/python bench/soak.py                        # 1,024 nodes × 2 events/s, 30 minutes
    .venv/bin/python bench/soak.py --minutes 1440         # the design target: 24 h on a real host
    .venv/bin/python bench/soak.py --nodes 32 --minutes 0.5 --interval 5 --settle 2   # a check

Starts an embedded PostgreSQL (bench/_pg.py), `tart ingest`, gunicorn (2 gevent workers) and
--subscribers WebSocket clients on /api/ws (bench/_subscribers.py), then `tart loadgen` with
--nodes connections sending --mix at --rate events/s each for the whole run. Every --interval
seconds it prints: events stored per second, events ingest lost (dropped or undecodable) and the
backlog (sent by the loadgen, as it last reported, but not stored yet), the batch write p99 and
the deepest queue seen, ingest's and the web's RSS, the database's size, and the subscribers'
receipt → delivery p99. It exits nonzero if, after the first --settle intervals, ingest's or the
web's RSS grows by more than 10 % over what it was then, or if any event sent was not stored or
not delivered to every subscriber in order. Writes bench/results/soak.json.
"""

import argparse
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
from _histogram import histogram_delta, histogram_quantile
from _ingest import Ingest
from _loadgen import loadgen
from _pg import BenchPostgres
from _report import run_facts
from _steps import DRAIN_TIMEOUT
from _web import Web

RESULTS = Path(__file__).resolve().parent / "results"
RSS_GROWTH = 1.10
# How often the queue depth is sampled within an interval.
SAMPLE_EVERY = 2.0
SUBSCRIBER_PROCESSES = 2


def main():
    args = _arguments()
    # A long run stopped by SIGTERM stops what it started on the way out, as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))
    RESULTS.mkdir(exist_ok=True)
    with BenchPostgres() as pg:
        url = pg.database("bench_soak")
        ingest = Ingest(url, args.nodes, RESULTS / "soak-ingest.log")
        try:
            with Web(url, RESULTS / "soak-web.log") as web:
                results = Soak(ingest, web, args).run()
        finally:
            ingest.stop()
    results.update(
        **run_facts(),
    )
    (args.results or RESULTS / "soak.json").write_text(json.dumps(results, indent=1) + "\n")
    print(_verdict(results))
    if results["failures"]:
        raise SystemExit(1)


class Soak:
    def __init__(self, ingest, web, args):
        self.ingest, self.web, self.args = ingest, web, args
        self.loadgen_log = RESULTS / "soak-loadgen.log"
        self.subscribers = []
        self.started = None

    def run(self):
        args, ingest = self.args, self.ingest
        self._start_subscribers()
        seconds = args.minutes * 60
        ramp_up = min(10.0, seconds / 10)
        first_id = ingest.last_id()
        intervals = []
        with (
            open(self.loadgen_log, "w") as log,
            loadgen(
                ingest,
                args.nodes,
                args.rate,
                seconds,
                ramp_up,
                args.mix,
                RESULTS / "soak-loadgen.json",
                log,
            ) as generator,
        ):
            print(_HEADER, flush=True)
            before = self._snapshot()
            self.started = before["time"]
            while generator.poll() is None:
                queue = self._wait_interval(generator)
                after = self._snapshot()
                intervals.append(self._interval(len(intervals) + 1, before, after, queue))
                print(_row(intervals[-1]), flush=True)
                before = after
        sent = json.loads((RESULTS / "soak-loadgen.json").read_text())
        settled = self._settle(sent["events"])
        last = ingest.max_id()
        stored = ingest.sql("SELECT count(*) FROM events WHERE id > %s", (first_id,))[0][0]
        clients = self._stop_subscribers()
        counters = ingest.counters()
        results = {
            "nodes": args.nodes,
            "mix": args.mix,
            "rate_per_node": args.rate,
            "offered_per_second": args.nodes * args.rate,
            "subscribers": args.subscribers,
            "interval_seconds": args.interval,
            "intervals": intervals,
            "sent": sent["events"],
            "send_errors": sent["send_errors"],
            "connect_failures": sent["connect_failures"],
            "stored": stored,
            "rate_limited": counters.get("events_rate_limited", 0),
            "lost": sent["events"] - stored - counters.get("events_rate_limited", 0),
            "stored_in_time": settled,
            # Every subscriber got every stored event, in order.
            "subscribers_complete": bool(clients)
            and all(
                c["events"] == stored and c["last_id"] == last and not c["backwards"]
                for c in clients
            ),
            "subscribers_closed": [c["close"] for c in clients if c["close"]],
        }
        results["rss_growth"] = _rss_growth(intervals, args.settle)
        results["failures"] = _failures(results)
        return results

    def _start_subscribers(self):
        per_process = [
            self.args.subscribers // SUBSCRIBER_PROCESSES
            + (index < self.args.subscribers % SUBSCRIBER_PROCESSES)
            for index in range(SUBSCRIBER_PROCESSES)
        ]
        self.subscribers = [
            subprocess.Popen(
                [
                    sys.executable,
                    str(Path(__file__).parent / "_subscribers.py"),
                    str(self.web.port),
                    str(clients),
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
            for clients in per_process
            if clients
        ]
        for process in self.subscribers:
            if process.stdout.readline().strip() != "ready":
                raise SystemExit("a subscriber process did not start")

    def _wait_interval(self, generator):
        """Sleep out one interval (or until the loadgen ends); the deepest queue seen."""
        deadline = time.monotonic() + self.args.interval
        queue = 0
        while time.monotonic() < deadline and generator.poll() is None:
            time.sleep(min(SAMPLE_EVERY, max(0.0, deadline - time.monotonic())))
            queue = max(queue, self.ingest.counters().get("buffer_pending", 0))
        return queue

    def _snapshot(self):
        latencies = []
        for process in self.subscribers:
            process.send_signal(signal.SIGUSR1)
        for process in self.subscribers:
            latencies += json.loads(process.stdout.readline())["latencies"]
        return {
            "time": time.monotonic(),
            "counters": self.ingest.counters(),
            "latencies": sorted(latencies),
            "ingest_rss_kb": self.ingest.rss_kb(),
            "web_rss_kb": _tree_rss_kb(self.web.process.pid),
            "database_bytes": self.ingest.sql("SELECT pg_database_size(current_database())")[0][0],
            "sent": _loadgen_sent(self.loadgen_log),
        }

    def _interval(self, number, before, after, queue):
        elapsed = after["time"] - before["time"]
        counters, start = after["counters"], before["counters"]

        def grown(name):
            return counters.get(name, 0) - start.get(name, 0)

        batches = histogram_delta(start, counters)
        p99 = histogram_quantile(batches, 0.99)
        return {
            "interval": number,
            "elapsed_seconds": round(after["time"] - self.started),
            "stored_per_second": round(grown("events_stored") / elapsed),
            "lost": grown("events_dropped") + grown("events_undecodable"),
            "backlog": max(0, after["sent"] - counters.get("events_stored", 0)),
            "batch_p99_ms": None if p99 is None else round(p99 * 1000, 1),
            "batches": batches["count"],
            "queue_max": queue,
            "ingest_rss_kb": after["ingest_rss_kb"],
            "web_rss_kb": after["web_rss_kb"],
            "database_mb": round(after["database_bytes"] / 2**20, 1),
            "delivery_p99_ms": _p99_ms(after["latencies"]),
            "delivery_samples": len(after["latencies"]),
        }

    def _settle(self, sent):
        """Whether ingest stored everything sent in time after the loadgen's end."""
        try:
            self.ingest.wait_until(
                lambda: self.ingest.counters().get("events_stored", 0) >= sent,
                DRAIN_TIMEOUT,
                "ingest to store the last events",
            )
            return True
        except TimeoutError:
            return False

    def _stop_subscribers(self):
        """Each subscriber's summary (_subscribers.py), after a few seconds to catch up."""
        time.sleep(3.0)
        clients = []
        for process in self.subscribers:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=60)
            clients += [
                line
                for line in map(json.loads, filter(str.strip, output.splitlines()))
                if "events" in line
            ]
        return clients


def _tree_rss_kb(pid):
    parent = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)]) // 1024


def _loadgen_sent(log_path):
    """Events the loadgen had sent at its last progress line (every 5 s), 0 before the first."""
    for line in reversed(log_path.read_text().splitlines()):
        if line.startswith("loadgen ") and " sent " in line:
            return int(line.split(" sent ", 1)[1].split()[0].replace(",", ""))
    return 0


def _p99_ms(ordered):
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000, 1)


def _rss_growth(intervals, settle):
    """Each process's RSS growth after the first `settle` intervals, as a ratio: the largest
    RSS since over the RSS then."""
    if len(intervals) <= settle:
        return None
    then, later = intervals[settle - 1], intervals[settle:]
    return {
        name: round(max(i[name] for i in later) / then[name], 3)
        for name in ("ingest_rss_kb", "web_rss_kb")
    }


def _failures(results):
    failures = []
    if results["lost"]:
        failures.append(f"{results['lost']:,} events sent but not stored")
    if results["send_errors"] or results["connect_failures"]:
        failures.append(
            f"loadgen: {results['send_errors']} send errors, "
            f"{results['connect_failures']} connect failures"
        )
    if not results["subscribers_complete"]:
        failures.append("a subscriber missed events or got them out of order")
    for name, growth in (results["rss_growth"] or {}).items():
        if growth > RSS_GROWTH:
            failures.append(f"{name.split('_')[0]} RSS grew {100 * (growth - 1):.1f} %")
    return failures


_HEADER = (
    "    s  stored/s  lost  backlog  batch p99 ms  queue max  ingest RSS MB  web RSS MB"
    "  PostgreSQL MB  delivery p99 ms"
)


def _row(i):
    def ms(value):
        return "–" if value is None else f"{value:.1f}"

    return (
        f"{i['elapsed_seconds']:>5} {i['stored_per_second']:>9,} {i['lost']:>5,} "
        f"{i['backlog']:>8,} "
        f"{ms(i['batch_p99_ms']):>13} {i['queue_max']:>10,} {i['ingest_rss_kb'] / 1024:>14.1f} "
        f"{i['web_rss_kb'] / 1024:>11.1f} {i['database_mb']:>14,.1f} "
        f"{ms(i['delivery_p99_ms']):>16}"
    )


def _verdict(results):
    growth = results["rss_growth"]
    lines = [
        f"{results['nodes']:,} nodes × {results['rate_per_node']:g} events/s ({results['mix']}), "
        f"{results['subscribers']} subscribers: sent {results['sent']:,}, stored "
        f"{results['stored']:,}, lost {results['lost']:,}; every subscriber got every event "
        f"in order: {results['subscribers_complete']}",
        "RSS growth after settling: "
        + (
            ", ".join(f"{name.split('_')[0]} {100 * (g - 1):+.1f} %" for name, g in growth.items())
            if growth
            else "run too short to judge"
        ),
    ]
    lines.append("FAILED: " + "; ".join(results["failures"]) if results["failures"] else "passed")
    return "\n".join(lines)


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30, help="how long the load runs [30]")
    parser.add_argument("--nodes", type=int, default=1024, help="node connections [1024]")
    parser.add_argument("--rate", type=float, default=2, help="events/s per node [2]")
    parser.add_argument("--mix", default="all", help="loadgen mix [all]")
    parser.add_argument("--subscribers", type=int, default=20, help="WebSocket clients [20]")
    parser.add_argument("--interval", type=float, default=60, help="seconds per line [60]")
    parser.add_argument(
        "--settle",
        type=int,
        default=5,
        help="intervals before RSS is taken as the reference for growth [5]",
    )
    parser.add_argument("--results", type=Path, help="JSON output [bench/results/soak.json]")
    return parser.parse_args()


if __name__ == "__main__":
    main()
