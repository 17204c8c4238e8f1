"""Live streaming: receipt→delivery latency of /api/ws subscribers while events pour in.

    .venv/bin/python bench/live.py [--subscribers 50] [--rate 10000] [--seconds 20]
                                   [--nodes 100] [--processes 4]

Starts an embedded PostgreSQL, `tart ingest`, gunicorn (2 gevent workers, as deployed) and
--subscribers WebSocket clients on /api/ws (each follows every event) in --processes processes,
then `tart loadgen` with --nodes nodes sending --rate events/s in all for --seconds. Latency is
from `received_at` (when ingest read the event's frame) to when a subscriber read the message;
each read of each subscriber gives one sample, its oldest event's (see _subscribers.py). Also
checks that every subscriber got every stored event, in order. Prints p50/p99/max, where the
time goes stage by stage (ingest and gunicorn run under bench/_traced.py, which timestamps each
stage; see _stages.py) and the CPU seconds each part used, and writes bench/results/live.json.
Subscribers, gunicorn, ingest, loadgen and PostgreSQL share the machine's cores: the figures are
for all on one machine.
"""

import argparse
import json
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from _ingest import Ingest
from _loadgen import loadgen
from _pg import BenchPostgres
from _report import machine, run_facts
from _stages import breakdown, lines
from _web import Web

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
TARGET_P99_MS = 10.0
TRACED = Path(__file__).resolve().parent / "_traced.py"
# How long subscribers get, after the last event is stored, to receive it.
CATCH_UP = 60.0


def main():
    options = _arguments()
    with BenchPostgres() as pg:
        url = pg.database("bench_live")
        RESULTS.mkdir(exist_ok=True)
        trace = Path(tempfile.mkdtemp(prefix="tart-live-trace-"))
        wrap = [str(TRACED), str(trace)]
        ingest = Ingest(url, options.nodes, RESULTS / "live-ingest.log", wrap=wrap)
        try:
            with Web(url, RESULTS / "live-web.log", wrap=wrap) as web:
                results, ids = _measure(ingest, web, _postmaster(pg), options)
        finally:
            ingest.stop()
        results["stages"] = breakdown(trace, ids)
        shutil.rmtree(trace)
    results.update(
        **run_facts(),
        machine=machine(),
        target_p99_ms=TARGET_P99_MS,
    )
    (RESULTS / "live.json").write_text(json.dumps(results, indent=1) + "\n")
    print(
        f"{options.subscribers} subscribers, {results['stored_per_second']:,.0f} events/s "
        f"stored for {options.seconds:g} s: latency p50 {results['p50_ms']} ms, "
        f"p99 {results['p99_ms']} ms, max {results['max_ms']} ms "
        f"({'ok' if results['p99_ms'] <= TARGET_P99_MS else 'ABOVE TARGET'} "
        f"{TARGET_P99_MS:g} ms)"
    )
    print(f"every subscriber got every event in order: {results['complete']}")
    print("\n".join(lines(results["stages"])))
    print(
        "CPU seconds: "
        + ", ".join(f"{name} {seconds:g}" for name, seconds in results["cpu_seconds"].items())
    )
    print(f"written to {RESULTS / 'live.json'}")


def _measure(ingest, web, postgres, options):
    per_process = [
        options.subscribers // options.processes + (index < options.subscribers % options.processes)
        for index in range(options.processes)
    ]
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).parent / "_subscribers.py"),
                str(web.port),
                str(clients),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for clients in per_process
        if clients
    ]
    for process in processes:
        if process.stdout.readline().strip() != "ready":
            raise SystemExit("a subscriber process did not start")
    before = ingest.max_id()
    started = time.monotonic()
    cpu = _Cpu(
        web=web.process.pid,
        ingest=[process.pid for process in ingest.processes],
        postgres=postgres,
        subscribers=[process.pid for process in processes],
    )
    with (
        open(RESULTS / "live-loadgen.log", "w") as log,
        loadgen(
            ingest,
            options.nodes,
            options.rate / options.nodes,
            options.seconds,
            0,
            "all",
            RESULTS / "live-loadgen.json",
            log,
        ) as generator,
    ):
        generator.wait()
    cpu.reaped("loadgen")
    sent = json.loads((RESULTS / "live-loadgen.json").read_text())
    ingest.wait_until(
        lambda: (
            ingest.counters().get("buffer_pending", 1) == 0 and ingest.max_id() == ingest.last_id()
        ),
        300,
        "ingest to store everything",
    )
    elapsed = time.monotonic() - started
    last = ingest.max_id()
    ids = {
        row[0]: (row[1], row[2])
        for row in ingest.sql(
            "SELECT id, session_id, event_id FROM events WHERE id > %s", (before,)
        )
    }
    stored = len(ids)
    time.sleep(min(CATCH_UP, 2 + options.seconds / 4))
    cpu_seconds = cpu.used()
    subscribers = []
    for process in processes:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
        subscribers += [json.loads(line) for line in output.splitlines() if line.strip()]
    latencies = sorted(sample for subscriber in subscribers for sample in subscriber["latencies"])
    complete = all(
        s["events"] == stored and s["last_id"] == last and not s["backwards"] for s in subscribers
    )
    return {
        "subscribers": options.subscribers,
        "nodes": options.nodes,
        "offered_per_second": options.rate,
        "seconds": options.seconds,
        "sent": sent["events"],
        "stored": stored,
        "stored_per_second": round(stored / elapsed, 1),
        "samples": len(latencies),
        "p50_ms": _ms(latencies, 0.50),
        "p99_ms": _ms(latencies, 0.99),
        "max_ms": round(latencies[-1] * 1000, 1) if latencies else None,
        "complete": complete,
        "received": sorted({s["events"] for s in subscribers}),
        "closed": [s["close"] for s in subscribers if s["close"]],
        # Where the machine's cores went from the loadgen's start until the subscribers stopped.
        "cpu_seconds": cpu_seconds,
    }, ids


class _Cpu:
    """CPU seconds used by groups of processes (and their children) from now on."""

    def __init__(self, **groups):
        self.processes = {}
        self.start = {}
        self.exited = {}
        self.children = self._children()
        for name, pids in groups.items():
            for pid in pids if isinstance(pids, list) else [pids]:
                parent = psutil.Process(pid)
                for process in [parent, *parent.children(recursive=True)]:
                    self.processes.setdefault(name, []).append(process)
                    self.start[process.pid] = self._seconds(process)

    def reaped(self, name):
        """Count the children of this process that exited and were waited for since, as `name`."""
        self.exited[name] = round(self._children() - self.children, 1)

    def used(self):
        return {
            **{
                name: round(sum(self._seconds(p) - self.start[p.pid] for p in processes), 1)
                for name, processes in self.processes.items()
            },
            **self.exited,
        }

    @staticmethod
    def _children():
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    @staticmethod
    def _seconds(process):
        try:
            times = process.cpu_times()
            return times.user + times.system + times.children_user + times.children_system
        except psutil.NoSuchProcess:
            return 0.0


def _postmaster(pg):
    return int((pg.server.pgdata / "postmaster.pid").read_text().split("\n", 1)[0])


def _ms(ordered, q):
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=50)
    parser.add_argument("--rate", type=float, default=10_000, help="events/s, all nodes together")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--processes", type=int, default=4, help="subscriber processes")
    return parser.parse_args()


if __name__ == "__main__":
    main()
