"""HTTP API latency with a large events table: p50/p99 per endpoint under concurrent clients.

    .venv/bin/python bench/api.py [--rows 10000000] [--seconds 10] [--clients 20]
                                  [--data-dir DIR] [--only TEXT] [--commits-per-second N]

Starts an embedded PostgreSQL (in DIR if given, kept and reused when it already holds the same
rows; else a temporary one), fills it with synthetic telemetry of --nodes nodes spread over 30
daily partitions (bench/_api_data.py), starts gunicorn (2 gevent workers, as deployed) and
then, endpoint by endpoint, keeps --clients closed-loop keep-alive HTTP clients
(bench/api_load.py) busy for --seconds. Prints p50/p99 per endpoint, against its target, and
the CPU time the web workers and PostgreSQL spent per request (which other work on a shared
machine hardly moves, unlike latency) and, when every endpoint ran, writes
bench/results/api.json. Run it on a quiet machine: clients, web workers and PostgreSQL share
its cores.

Nothing is stored meanwhile unless --commits-per-second is given: then each endpoint is
measured twice, first quiet and then while batches of --events-per-commit events are committed
and announced as ingest does (bench/_committer.py), so that the web workers' kept event pages
go stale as on a live network; both figures are printed side by side and the results go to
bench/results/api-commits.json.
"""

import argparse
import contextlib
import json
import os
import platform
import random
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import _api_data
import _propagation_data
import api_load
import psutil
from _committer import Committer
from _web import WORKERS, Web

from tart.db.embedded import EmbeddedPostgres
from tart.protocol import discriminator

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "api.json"
RESULTS_WITH_COMMITS = REPO / "bench" / "results" / "api-commits.json"
TARGET_P99_MS = 20.0  # the TARGETED pages, commits or not (issue #22)
TARGET_OTHER_P99_MS = 50.0  # a node's events of a type (#22); analytics, blocks, packages (#16)
# Paths drawn beforehand for an endpoint whose path varies (a random node id, cursor, ...).
PATHS_PER_ENDPOINT = 1000
# The event types of the endpoints that filter by type.
AUTHORED = discriminator("Authored")
BEST_BLOCK_CHANGED = discriminator("BestBlockChanged")
BLOCK_ANNOUNCED = discriminator("BlockAnnounced")


def main():
    options = _arguments()
    options.load_average_at_start = os.getloadavg()
    data_dir = Path(options.data_dir or tempfile.mkdtemp(prefix="tart-bench-api-"))
    server = EmbeddedPostgres(data_dir)
    try:
        url = server.start()
        node_ids = _api_data.prepare(url, options.nodes, options.rows)
        results = _run_web(url, server.pgdata, node_ids, options)
    finally:
        server.stop()
        if not options.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
    if not options.only:
        _report(results, options)


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="events to store")
    parser.add_argument("--nodes", type=int, default=100, help="nodes the events come from")
    parser.add_argument("--seconds", type=float, default=10.0, help="load per endpoint")
    parser.add_argument("--clients", type=int, default=20, help="concurrent HTTP clients")
    parser.add_argument("--data-dir", help="keep the database here and reuse it next time")
    parser.add_argument("--only", help="load only the endpoints whose name contains this")
    parser.add_argument(
        "--commits-per-second",
        type=float,
        default=0.0,
        help="commit batches of events this often while measuring [0: never]",
    )
    parser.add_argument(
        "--events-per-commit", type=int, default=100, help="events in each of those batches [100]"
    )
    return parser.parse_args()


def _endpoints(node_ids, rows):
    rng = random.Random(3)
    slots = _api_data.slots(rows, len(node_ids))
    packages = _api_data.packages(len(node_ids))
    return {
        "/api/health": lambda: "/api/health",
        "/api/health/detailed": lambda: "/api/health/detailed",
        "/api/stats": lambda: "/api/stats",
        "/api/nodes": lambda: "/api/nodes",
        "/api/nodes/<id>": lambda: f"/api/nodes/{rng.choice(node_ids)}",
        "/api/nodes/<id>/events?limit=100": lambda: (
            f"/api/nodes/{rng.choice(node_ids)}/events?limit=100"
        ),
        "/api/events?limit=100": lambda: "/api/events?limit=100",
        "/api/events?limit=100&before_id=<random>": lambda: (
            f"/api/events?limit=100&before_id={rng.randrange(1, rows + 2)}"
        ),
        f"/api/events?event_type={AUTHORED}&limit=100": lambda: (
            f"/api/events?event_type={AUTHORED}&limit=100"
        ),
        f"/api/events?node_id=<id>&event_type={BEST_BLOCK_CHANGED}&limit=100": lambda: (
            f"/api/events?node_id={rng.choice(node_ids)}&event_type={BEST_BLOCK_CHANGED}&limit=100"
        ),
        "/api/nodes/<id>/errors": lambda: f"/api/nodes/{rng.choice(node_ids)}/errors",
        "/api/blocks": lambda: "/api/blocks",
        "/api/blocks/<hash>": lambda: (
            f"/api/blocks/{_propagation_data.block_hash(rng.randint(1, slots))}"
        ),
        "/api/blocks/<slot>": lambda: f"/api/blocks/{rng.randint(1, slots)}",
        "/api/workpackages": lambda: "/api/workpackages",
        "/api/workpackages?since=<a day ago>": lambda: (
            "/api/workpackages?since="
            + (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        ),
        "/api/workpackages/<hash>": lambda: (
            "/api/workpackages/"
            + _propagation_data.package_hash(rng.randint(1, slots), rng.randint(1, packages))
        ),
        "/metrics": lambda: "/metrics",
        "/api/analytics/timeseries (last hour, by type)": lambda: "/api/analytics/timeseries",
        "/api/analytics/timeseries?by=category (last day)": lambda: (
            f"/api/analytics/timeseries?by=category&from={int(time.time()) - 86400}"
        ),
        "/api/analytics/timeseries?by=node (last day)": lambda: (
            f"/api/analytics/timeseries?by=node&from={int(time.time()) - 86400}"
        ),
        "/api/analytics/timeseries?by=implementation (30 days)": lambda: (
            f"/api/analytics/timeseries?by=implementation&from={int(time.time()) - 30 * 86400}"
        ),
        f"/api/analytics/node-counts?event_type={BLOCK_ANNOUNCED} (last day)": lambda: (
            f"/api/analytics/node-counts?event_type={BLOCK_ANNOUNCED}"
            f"&from={int(time.time()) - 86400}"
        ),
        "/api/analytics/nodes-behind": lambda: "/api/analytics/nodes-behind",
        "/api/analytics/stale-nodes": lambda: "/api/analytics/stale-nodes",
        "/api/analytics/implementations": lambda: "/api/analytics/implementations",
        "/api/analytics/health": lambda: "/api/analytics/health",
    }


TARGETED = (
    "/api/nodes",
    "/api/nodes/<id>",
    "/api/nodes/<id>/events?limit=100",
    "/api/events?limit=100",
    "/api/stats",
)
OTHER_TARGETED = ("/api/events?node_id=", "/api/analytics/", "/api/blocks", "/api/workpackages")


def target(name):
    """The p99 an endpoint must keep, in ms; None: no target."""
    if name in TARGETED:
        return TARGET_P99_MS
    if name.startswith(OTHER_TARGETED):
        return TARGET_OTHER_P99_MS
    return None


def _run_web(url, pgdata, node_ids, options):
    RESULTS.parent.mkdir(exist_ok=True)
    with Web(url, RESULTS.with_name("api-web.log")) as web:
        if not options.commits_per_second:
            cpu = ServerCpu(web.process.pid, pgdata)
            return _load_endpoints(web.port, node_ids, options, None, cpu)
        with Committer(url, options.commits_per_second, options.events_per_commit) as committer:
            cpu = ServerCpu(web.process.pid, pgdata, leave_out=committer.backend_pid)
            return _load_endpoints(web.port, node_ids, options, committer, cpu)


class ServerCpu:
    """CPU time spent by the web workers and PostgreSQL's processes (the committer's connection
    left out): unlike latency, hardly moved by other work on a shared machine."""

    def __init__(self, web_pid, pgdata, leave_out=None):
        postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
        self._parents = [psutil.Process(web_pid), psutil.Process(postmaster)]
        self._leave_out = leave_out

    def measure(self, load):
        """api_load.run(*load)'s figures, with the servers' CPU ms per request; None when
        no request was answered in time."""
        before = self._seconds()
        try:
            figures = api_load.run(*load)
        except api_load.ProtocolError as error:
            print(error)
            return None
        after = self._seconds()
        spent = sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())
        figures["server_cpu_ms_per_request"] = round(spent * 1000 / figures["requests"], 3)
        return figures

    def _seconds(self):
        found = {}
        for parent in self._parents:
            for process in parent.children():
                if process.pid == self._leave_out:
                    continue
                with contextlib.suppress(psutil.NoSuchProcess):
                    times = process.cpu_times()
                    found[process.pid] = times.user + times.system
        return found


def _load_endpoints(port, node_ids, options, committer, cpu):
    """Each endpoint's figures; with a committer, {"quiet": ..., "with_commits": ...}."""
    results = {}
    committing = 0.0  # seconds
    for name, path in _endpoints(node_ids, options.rows).items():
        if options.only and options.only not in name:
            continue
        paths = [path() for _ in range(PATHS_PER_ENDPOINT)]
        load = (port, paths, options.clients, options.seconds, name != "/metrics")
        goal = target(name)
        if committer is None:
            results[name] = figures = cpu.measure(load)
            line = _figures(figures, goal)
        else:
            committer.active = False
            quiet = cpu.measure(load)
            committer.active, started = True, time.monotonic()
            results[name] = {"quiet": quiet, "with_commits": (figures := cpu.measure(load))}
            committing += time.monotonic() - started
            line = f"{_figures(quiet, goal)}  | with commits {_figures(figures, goal)}"
        print(f"{name:55} {line}", flush=True)
    if committer is not None:
        committer.active = False
        print(
            f"committed {committer.commits:,} batches of {options.events_per_commit} events"
            f" while measuring with commits ({committer.commits / (committing or 1):.1f}/s)"
        )
    return results


def _figures(figures, goal):
    if figures is None:
        return f"{'no answer in time':56}"
    mark = "" if goal is None else " ok" if figures["p99_ms"] <= goal else " ABOVE"
    return (
        f"p50 {figures['p50_ms']:6.1f} p99 {figures['p99_ms']:6.1f} ms{mark:6}"
        f" {figures['requests_per_second']:5.0f}/s"
        f" cpu {figures['server_cpu_ms_per_request']:5.2f} ms"
        + (f" errors {figures['errors']}" if figures["errors"] else "")
    )


def _report(results, options):
    path = RESULTS_WITH_COMMITS if options.commits_per_second else RESULTS
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "benchmark": "api",
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                # A busy machine (load average near its cpus before the start) skews every figure.
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "load_average_at_start": options.load_average_at_start,
                    "load_average_at_end": os.getloadavg(),
                },
                "rows": options.rows,
                "nodes": options.nodes,
                "clients": options.clients,
                "seconds_per_endpoint": options.seconds,
                "web_workers": WORKERS,
                "commits_per_second": options.commits_per_second,
                "events_per_commit": options.events_per_commit if options.commits_per_second else 0,
                "client_processes": api_load.PROCESSES,
                "target_p99_ms": {name: target(name) for name in results if target(name)},
                "endpoints": results,
                "targets_met": all(
                    figures is not None and figures["p99_ms"] <= target(name)
                    for name, both in results.items()
                    if target(name)
                    for figures in (both.values() if both and "quiet" in both else [both])
                ),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
