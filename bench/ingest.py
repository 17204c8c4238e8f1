"""How fast TART ingest stores telemetry, against how fast PostgreSQL itself takes the same rows.

    .venv/bin/python bench/ingest.py            # 1024 nodes, 60 s per step (≈ 10 minutes)
    .venv/bin/python bench/ingest.py --quick    # 256 nodes, 10 s per step (≈ 1 minute)

In one run, on one embedded PostgreSQL configured as the seed README says for 1,024 nodes
(bench/_pg.py; fsync and synchronous_commit on):

1. the ceiling: the loadgen's rows written by a plain script with execute_values, then with
   COPY, in batches of TART_BATCH_SIZE, doing the database work ingest does with them
   (bench/_baseline.py), committed asynchronously as the ingest writer commits;
2. memory: the ingest's RSS with every node connected and idle, per connection;
3. TART: `tart ingest` fed by `tart loadgen`, one step per offered rate, until the stored rate
   stops rising; then a step at 80 % of the best stored rate, where write latency is judged.
   Stored events are counted in the events table; loss = sent − stored − rate limited.

Prints a table and writes bench/results/ingest.json, with ingest.log and loadgen.log beside
it. The loadgen, ingest and PostgreSQL share the machine's cores: the figures are for all three
on one machine, with the loadgen at a lower CPU priority, as nodes elsewhere would be
(bench/_loadgen.py).
"""

import argparse
import json
import os
import platform
from pathlib import Path

from _baseline import WRITER_SYNCHRONOUS_COMMIT, Baseline
from _ingest import Ingest
from _pg import BenchPostgres
from _report import run_facts, say
from _steps import idle_memory, step

from tart.config import Settings

RESULTS = Path(__file__).resolve().parent / "results"
# Stop raising the offered load once a step stores less than this much more than the best
# so far, or stores less than this share of the offered load (ingest saturated).
PLATEAU = 1.05
SATURATED = 0.9
TARGETS = {
    "execute_values_ratio": 0.9,
    "copy_ratio": 0.6,
    "p99_ms_at_80_percent": 20.0,
    "kb_per_idle_connection": 16.0,
}


def main():
    args = _arguments()
    batch_size = Settings.from_env().batch_size
    path = args.results or RESULTS / "ingest.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    results = {
        **run_facts(),
        "machine": _machine(),
        "nodes": args.nodes,
        "mix": args.mix,
        "ingest_processes": args.ingest_processes,
        "seconds_per_step": args.seconds,
        "batch_size": batch_size,
    }
    with BenchPostgres() as pg:
        results["postgres"] = dict(
            pg.settings(), writers_synchronous_commit=WRITER_SYNCHRONOUS_COMMIT
        )
        say(f"baseline: {args.baseline_rows:,} rows, batches of {batch_size:,}")
        baseline = Baseline(
            pg.database("bench_baseline"), args.mix, args.nodes, args.baseline_rows, batch_size
        )
        results["baseline"] = {
            "execute_values": baseline.execute_values(),
            "data_bytes_per_row": round(baseline.data_size(), 1),
        }
        results["baseline"]["copy"] = baseline.copy()
        results.update(_tart(pg.database("bench_tart"), args, path.parent))
    best = results["best"]
    ceiling = results["baseline"]
    results["ratios"] = {
        "execute_values": round(
            best["stored_per_second"] / ceiling["execute_values"]["rows_per_second"], 3
        ),
        "copy": round(best["stored_per_second"] / ceiling["copy"]["rows_per_second"], 3),
    }
    results["targets"] = _targets(results)
    path.write_text(json.dumps(results, indent=1) + "\n")
    print(_table(results))
    print(f"\nwritten to {path}")


def _tart(url, args, logs):
    ingest = Ingest(url, args.nodes, logs / "ingest.log", args.ingest_processes)
    try:
        with open(logs / "loadgen.log", "w") as log:
            say(f"memory: {args.nodes} idle nodes")
            memory = idle_memory(ingest, args.nodes, args.mix, log)
            steps = []
            for rate in args.rates:
                say(f"step: {args.nodes} nodes × {rate:g} events/s for {args.seconds:g} s")
                result = step(ingest, args.nodes, rate, args.seconds, args.mix, log)
                best_so_far = max((earlier["stored_per_second"] for earlier in steps), default=0)
                steps.append(result)
                if (
                    result["stored_per_second"] < PLATEAU * best_so_far
                    or result["stored_per_second"] < SATURATED * result["offered_per_second"]
                ):
                    break
            best = max(steps, key=lambda result: result["stored_per_second"])
            rate = 0.8 * best["stored_per_second"] / args.nodes
            say(f"step at 80 % of the best: {args.nodes} nodes × {rate:.1f} events/s")
            at_80 = step(ingest, args.nodes, rate, args.seconds, args.mix, log)
        memory["peak_rss_kb"] = ingest.peak_rss_kb()
        data_bytes = ingest.sql("SELECT avg(pg_column_size(data))::float FROM events")[0][0]
    finally:
        ingest.stop()
    # Retried batches and failed greenlets cost throughput; the figures should say so.
    problems = [
        line
        for line in (logs / "ingest.log").read_text().splitlines()
        if " WARNING " in line or " ERROR " in line or " failed with " in line
    ]
    return {
        "memory": memory,
        "steps": steps,
        "best": best,
        "at_80_percent": at_80,
        "data_bytes_per_row": round(data_bytes or 0, 1),
        "ingest_log_problems": problems,
    }


def _targets(results):
    steps = results["steps"] + [results["at_80_percent"]]
    p99 = results["at_80_percent"]["batch_write_p99_ms"]
    return {
        "connections_held": all(
            s["connections_held"] == results["nodes"]
            and not s["connect_failures"]
            and not s["send_errors"]
            for s in steps
        ),
        "no_loss": all(s["loss"] == 0 for s in steps),
        "execute_values_ratio": results["ratios"]["execute_values"]
        >= TARGETS["execute_values_ratio"],
        "copy_ratio": results["ratios"]["copy"] >= TARGETS["copy_ratio"],
        "p99_at_80_percent": p99 is not None and p99 <= TARGETS["p99_ms_at_80_percent"],
        "memory_per_connection": results["memory"]["per_connection_kb"]
        <= TARGETS["kb_per_idle_connection"],
    }


def _table(results):
    base, memory, ratios, targets = (
        results["baseline"],
        results["memory"],
        results["ratios"],
        results["targets"],
    )
    machine = results["machine"]
    lines = [
        f"TART ingest benchmark — {machine['cpus']} cores ({machine['cpu']}), "
        f"PostgreSQL {results['postgres']['server_version']}, {results['nodes']} nodes, "
        f"mix {results['mix']}, batches of {results['batch_size']:,}",
        "",
        f"PostgreSQL ceiling, {base['execute_values']['rows']:,} rows "
        f"({base['data_bytes_per_row']:.0f} bytes of JSON each):",
        f"  execute_values  {base['execute_values']['rows_per_second']:>10,} rows/s",
        f"  COPY            {base['copy']['rows_per_second']:>10,} rows/s",
        "",
        f"TART ({results['ingest_processes']} × tart ingest + tart loadgen, "
        f"{results['seconds_per_step']:g} s per step):",
        "  offered/s     sent/s   stored/s  loss  p50 ms  p99 ms  queue max  connections"
        "  ingest CPU",
    ]
    for label, result in [("", s) for s in results["steps"]] + [
        ("  ← 80 % of best", results["at_80_percent"])
    ]:
        lines.append(
            f"  {result['offered_per_second']:>9,} {round(result['sent_per_second']):>10,} "
            f"{result['stored_per_second']:>10,} {result['loss']:>5,} "
            f"{_latency(result, 'batch_write_p50_ms')} {_latency(result, 'batch_write_p99_ms')} "
            f"{result['queue_max']:>10,} {result['connections_held']:>12,} "
            f"{result['ingest_cpu_percent']:>10}%{label}"
        )
    lines += [
        "",
        f"best stored rate {results['best']['stored_per_second']:,}/s = "
        f"{ratios['execute_values']:.2f} × the execute_values ceiling, "
        f"{ratios['copy']:.2f} × the COPY ceiling",
        f"memory: RSS {memory['rss_before_kb'] / 1024:.1f} MB before, "
        f"{memory['rss_idle_kb'] / 1024:.1f} MB with {memory['nodes']:,} idle nodes: "
        f"{memory['per_connection_kb']:.1f} KB per connection "
        f"(peak {memory['peak_rss_kb'] / 1024:.1f} MB)",
        "targets: "
        + ", ".join(f"{name} {'met' if met else 'NOT met'}" for name, met in targets.items()),
    ]
    if results["ingest_log_problems"]:
        lines.append(
            f"ingest logged {len(results['ingest_log_problems'])} warnings or failures "
            f"(in the JSON and ingest.log), e.g. {results['ingest_log_problems'][0]}"
        )
    return "\n".join(lines)


def _latency(result, name):
    value = result[name]
    text = (">1000" if result["batches_over_1s"] else "–") if value is None else f"{value:.1f}"
    return f"{text:>7}"


def _machine():
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="256 nodes, 10 s steps, 50,000 baseline rows (about a minute)",
    )
    parser.add_argument("--nodes", type=int, help="simulated nodes [1024; quick: 256]")
    parser.add_argument("--seconds", type=float, help="seconds per step [60; quick: 10]")
    parser.add_argument(
        "--rates",
        help="events/s per node of the steps, comma-separated "
        "[6,9,12,15,20,25,50,100; quick: 25,40,60,100,200]",
    )
    parser.add_argument(
        "--baseline-rows", type=int, help="rows each baseline writes [500000; quick: 50000]"
    )
    parser.add_argument("--mix", default="all", help="loadgen mix [all]")
    parser.add_argument(
        "--ingest-processes",
        type=int,
        default=1,
        help="tart ingest processes sharing the port (SO_REUSEPORT) [1]",
    )
    parser.add_argument("--results", type=Path, help="JSON output [bench/results/ingest.json]")
    args = parser.parse_args()
    defaults = (
        {"nodes": 256, "seconds": 10, "rates": "25,40,60,100,200", "baseline_rows": 50_000}
        if args.quick
        else {
            "nodes": 1024,
            "seconds": 60,
            "rates": "6,9,12,15,20,25,50,100",
            "baseline_rows": 500_000,
        }
    )
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.rates = [float(rate) for rate in str(args.rates).split(",")]
    return args


if __name__ == "__main__":
    main()
