"""One `tart ingest` process against two on the same port and PostgreSQL: stored rate, loss, and
the CPU each part spends per stored event.

    .venv/bin/python bench/scaleout.py                  # 256 nodes, 20 s per step, 1,2,1,2
    .venv/bin/python bench/scaleout.py --nodes 16 --seconds 3 --rate 50 --repeat 1   # a check

On one embedded PostgreSQL configured as the seed README says (bench/_pg.py), the processes
share a port with SO_REUSEPORT (bench/_ingest.py), so the kernel spreads the nodes' connections
over them, as a TCP load balancer would spread nodes over hosts. Each step offers --rate events/s
per node from --nodes nodes (by default more than this machine stores) for --seconds; the runs
alternate 1 and 2 processes --repeat times, since other work on a shared machine moves the
figures. Per step: the stored rate, the loss (sent − stored − rate limited; must be 0), batch
write p99, and CPU µs per stored event of ingest (all its processes) and of PostgreSQL (every
backend of the server). Prints a table and writes bench/results/scaleout.json.
"""

import argparse
import json
import signal
import sys
from pathlib import Path

import psutil
from _ingest import Ingest
from _pg import BenchPostgres
from _report import run_facts, say
from _steps import step

RESULTS = Path(__file__).resolve().parent / "results"


def main():
    args = _arguments()
    # Stopped by SIGTERM, it stops what it started on the way out, as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))
    RESULTS.mkdir(exist_ok=True)
    steps = []
    with BenchPostgres() as pg:
        postmaster = int((pg.server.pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        url = pg.database("bench_scaleout")
        with open(RESULTS / "scaleout-loadgen.log", "w") as log:
            for _ in range(args.repeat):
                for processes in args.processes:
                    say(f"{processes} × tart ingest, {args.nodes} nodes × {args.rate:g} events/s")
                    steps.append(_run(url, processes, postmaster, args, log))
    results = {
        **run_facts(),
        "nodes": args.nodes,
        "rate_per_node": args.rate,
        "mix": args.mix,
        "steps": steps,
        "best": {
            processes: max(s["stored_per_second"] for s in steps if s["processes"] == processes)
            for processes in args.processes
        },
    }
    (args.results or RESULTS / "scaleout.json").write_text(json.dumps(results, indent=1) + "\n")
    print(_table(results))
    if any(s["loss"] for s in steps):
        raise SystemExit("events lost")


def _run(url, processes, postmaster, args, log):
    ingest = Ingest(url, args.nodes, RESULTS / f"scaleout-ingest-{processes}.log", processes)
    try:
        postgres_before = _cpu_by_process(postmaster)
        ingest_before = ingest.cpu_seconds()
        result = step(ingest, args.nodes, args.rate, args.seconds, args.mix, log)
        ingest_cpu = ingest.cpu_seconds() - ingest_before
        postgres_after = _cpu_by_process(postmaster)
    finally:
        ingest.stop()
    postgres_cpu = sum(
        seconds - postgres_before.get(pid, 0.0) for pid, seconds in postgres_after.items()
    )
    stored = max(1, result["stored"])
    return {
        "processes": processes,
        **result,
        "ingest_cpu_us_per_event": round(1e6 * ingest_cpu / stored, 1),
        "postgres_cpu_us_per_event": round(1e6 * postgres_cpu / stored, 1),
    }


def _cpu_by_process(pid):
    """CPU seconds used so far by a process and each of its children, by pid."""
    parent = psutil.Process(pid)
    seconds = {}
    for process in [parent, *parent.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        seconds[process.pid] = times.user + times.system
    return seconds


def _table(results):
    lines = [
        f"{results['nodes']} nodes × {results['rate_per_node']:g} events/s offered "
        f"({results['mix']}), one PostgreSQL",
        "",
        "processes  offered/s   stored/s  loss  batch p99 ms  connections  "
        "ingest µs/event  PostgreSQL µs/event",
    ]
    for s in results["steps"]:
        p99 = "–" if s["batch_write_p99_ms"] is None else f"{s['batch_write_p99_ms']:.1f}"
        lines.append(
            f"{s['processes']:>9} {s['offered_per_second']:>10,} {s['stored_per_second']:>10,} "
            f"{s['loss']:>5,} {p99:>13} {s['connections_held']:>12,} "
            f"{s['ingest_cpu_us_per_event']:>16.1f} {s['postgres_cpu_us_per_event']:>20.1f}"
        )
    best = results["best"]
    lines.append("")
    lines.append(
        "best stored rate: "
        + ", ".join(f"{processes} × ingest {rate:,}/s" for processes, rate in best.items())
        + (
            f" ({best[2] / best[1]:.2f} × one process)"
            if 1 in best and 2 in best and best[1]
            else ""
        )
    )
    return "\n".join(lines)


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=256, help="simulated nodes [256]")
    parser.add_argument("--rate", type=float, default=40, help="events/s per node [40]")
    parser.add_argument("--seconds", type=float, default=20, help="seconds per step [20]")
    parser.add_argument("--mix", default="all", help="loadgen mix [all]")
    parser.add_argument("--processes", default="1,2", help="ingest processes of the steps [1,2]")
    parser.add_argument("--repeat", type=int, default=2, help="rounds of the steps [2]")
    parser.add_argument("--results", type=Path, help="JSON output [bench/results/scaleout.json]")
    args = parser.parse_args()
    args.processes = [int(p) for p in args.processes.split(",")]
    return args


if __name__ == "__main__":
    main()
