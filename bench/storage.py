"""Bytes on disk per stored event, beside the bytes the same events took on the wire.

    .venv/bin/python bench/storage.py                      # 100,000 events of each mix
    .venv/bin/python bench/storage.py --events 20000 --mixes status,all   # a quick look

For each loadgen mix, in a database of its own on one embedded PostgreSQL (bench/_pg.py):
`tart ingest` stores what `tart loadgen` sends, then `events` is vacuumed (as autovacuum would,
which also makes its free-space and visibility maps: they count too) and measured over all its
partitions: the table, its TOAST (a row over ~2 KB has its `data` compressed, and moved there
if still too big), each index.
Wire bytes are the JIP-3 frames of the same events (size prefix included; the node information
frame that opens a connection is not an event). The event counts by minute and hour are printed
beside them; they grow by time and nodes, not by events (docs/PERFORMANCE.md).

Then its indexes are rebuilt, as ingest rebuilds a partition once its day is over
(schema/025), and measured again. Prints a table and writes bench/results/storage.json.
"""

import argparse
import functools
import json
from pathlib import Path

from _ingest import Ingest
from _loadgen import loadgen
from _pg import BenchPostgres
from _report import run_facts, say

from tart.db.connect import connect
from tart.ingest.compaction import compact
from tart.loadgen.runner import LoadGenerator, Plan, jam_now

RESULTS = Path(__file__).resolve().parent / "results"
MIXES = ("status", "network", "pipeline", "all")
# The goal: stored bytes at most this many times the wire bytes, for these mixes.
GOAL_RATIO = 3.0
GOAL_MIXES = ("status", "all")

# The events' partitions, their TOAST tables and indexes, added up; indexes by the index of the
# parent table they belong to.
_SIZES = """
SELECT sum(pg_table_size(p.oid) - coalesce(pg_total_relation_size(p.reltoastrelid), 0)),
       sum(coalesce(pg_total_relation_size(p.reltoastrelid), 0)),
       sum(pg_indexes_size(p.oid))
FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhrelid
WHERE i.inhparent = 'events'::regclass
"""
_INDEX_SIZES = """
SELECT parent.relname, sum(pg_relation_size(x.inhrelid))
FROM pg_inherits x JOIN pg_class parent ON parent.oid = x.inhparent
WHERE parent.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'events'::regclass)
GROUP BY 1 ORDER BY 1
"""
_DATA = (
    "SELECT count(*), avg(pg_column_size(data))::float, avg(octet_length(data::text))::float"
    " FROM events"
)
_COUNTS = (
    "SELECT pg_total_relation_size('event_stats_minute'),"
    " pg_total_relation_size('event_stats_hourly'),"
    " (SELECT count(*) FROM event_stats_minute), (SELECT count(*) FROM event_stats_hourly)"
)


def main():
    args = _arguments()
    RESULTS.mkdir(exist_ok=True)
    results = {
        **run_facts(),
        "nodes": args.nodes,
        "mixes": {},
    }
    with BenchPostgres() as pg:
        results["postgres"] = pg.settings()
        results["default_toast_compression"] = pg.execute("SHOW default_toast_compression")[0][0]
        for mix in args.mixes:
            say(f"{mix}: {args.events:,} events from {args.nodes} nodes")
            url = pg.database(f"bench_storage_{mix}")
            results["mixes"][mix] = measure(url, mix, args.nodes, args.events, args.rate)
    # Judged on past days: all but one day of the retention.
    results["goal"] = {
        mix: results["mixes"][mix]["past_day_ratio"] <= GOAL_RATIO
        for mix in GOAL_MIXES
        if mix in results["mixes"]
    }
    path = args.results or RESULTS / "storage.json"
    path.write_text(json.dumps(results, indent=1) + "\n")
    print(_table(results))
    print(f"\nwritten to {path}")
    lost = [mix for mix, figures in results["mixes"].items() if figures["lost"]]
    if lost:
        raise SystemExit(f"events lost with mix {', '.join(lost)}")


def measure(url, mix, nodes, events, rate):
    """Store about `events` events of `mix` through tart ingest; their bytes on disk and on
    the wire."""
    per_node = max(1, events // nodes)
    seconds = per_node / (rate / nodes)
    logs = RESULTS / f"storage-{mix}"
    logs.mkdir(exist_ok=True)
    ingest = Ingest(url, nodes, logs / "ingest.log")
    try:
        with open(logs / "loadgen.log", "w") as log:
            with loadgen(
                ingest, nodes, rate / nodes, seconds, 0, mix, logs / "loadgen.json", log
            ) as generator:
                generator.wait()
        summary = json.loads((logs / "loadgen.json").read_text())
        sent = summary["events"]
        ingest.wait_until(
            lambda: ingest.counters().get("events_stored", 0) >= sent,
            300,
            "ingest to store every event",
        )
    finally:
        ingest.stop()
    wire = sum(_wire_bytes(mix, node["events"]) for node in summary["per_node"])
    conn = connect(url)
    conn.autocommit = True  # VACUUM refuses transactions
    try:
        with conn.cursor() as cur:
            cur.execute("VACUUM events")
            heap, toast, indexes, by_index = _sizes(cur)
            # What ingest's maintenance does to a partition once its day is over (schema/025).
            for partition in _partitions(cur):
                compact(cur, partition)
            compacted = _sizes(cur)[2]
            cur.execute(_DATA)
            stored, data_bytes, json_bytes = cur.fetchone()
            cur.execute(_COUNTS)
            minute_bytes, hourly_bytes, minute_rows, hourly_rows = cur.fetchone()
    finally:
        conn.close()
    total = heap + toast + indexes
    past_day = heap + toast + compacted
    return {
        "sent": sent,
        "stored": stored,
        "lost": sent - stored,
        "wire_bytes": wire,
        "wire_bytes_per_event": round(wire / sent, 1),
        "disk_bytes": total,
        "disk_bytes_per_event": round(total / stored, 1),
        "ratio": round((total / stored) / (wire / sent), 2),
        # A past day's partition, its indexes rebuilt.
        "past_day_bytes_per_event": round(past_day / stored, 1),
        "past_day_ratio": round((past_day / stored) / (wire / sent), 2),
        "past_day_index_bytes_per_event": round(compacted / stored, 1),
        "table_bytes_per_event": round(heap / stored, 1),
        "toast_bytes_per_event": round(toast / stored, 1),
        "index_bytes_per_event": {name: round(size / stored, 1) for name, size in by_index.items()},
        "data_column_bytes": round(data_bytes, 1),
        "data_json_text_bytes": round(json_bytes, 1),
        "event_counts": {
            "minute_rows": minute_rows,
            "minute_bytes": minute_bytes,
            "hourly_rows": hourly_rows,
            "hourly_bytes": hourly_bytes,
        },
        "seconds": round(seconds, 1),
    }


def _partitions(cur):
    cur.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'events'::regclass"
    )
    return [name for (name,) in cur.fetchall()]


def _sizes(cur):
    """Bytes of the events' partitions: table, TOAST, indexes, and each index."""
    cur.execute(_SIZES)
    heap, toast, indexes = (int(value) for value in cur.fetchone())
    cur.execute(_INDEX_SIZES)
    return heap, toast, indexes, {name: int(size) for name, size in cur.fetchall()}


@functools.cache
def _wire_bytes(mix, count):
    """The bytes of the first `count` event frames a node of `mix` sends (every node of these
    mixes sends the same frames, but for its own ids, which take the same bytes)."""
    data, _ = LoadGenerator(Plan(nodes=1, mix=mix)).cycle.stream().take(count, jam_now())
    return len(data)


def _table(results):
    lines = [
        f"TART storage per event — PostgreSQL {results['postgres']['server_version']}, "
        f"{results['nodes']} nodes, TOAST compression {results['default_toast_compression']}",
        "",
        "bytes per event: on the wire; on disk on the day it is written (ratio to the wire), "
        "table, TOAST, indexes; on disk once its day is over and the indexes are rebuilt "
        "(ratio); the data column / as JSON text",
        "mix        events  wire B  disk B  ratio   table  TOAST  indexes  past day  ratio"
        "  data / text",
    ]
    for mix, m in results["mixes"].items():
        indexes = sum(m["index_bytes_per_event"].values())
        lines.append(
            f"{mix:<9} {m['stored']:>7,} {m['wire_bytes_per_event']:>7.0f} "
            f"{m['disk_bytes_per_event']:>7.0f} {m['ratio']:>5.2f}× "
            f"{m['table_bytes_per_event']:>6.0f} "
            f"{m['toast_bytes_per_event']:>6.0f} {indexes:>8.0f} "
            f"{m['past_day_bytes_per_event']:>9.0f} {m['past_day_ratio']:>5.2f}×"
            f"  {m['data_column_bytes']:.0f} / {m['data_json_text_bytes']:.0f}"
        )
    lines.append("")
    lines.append("index bytes per event, on the day it is written:")
    for mix, m in results["mixes"].items():
        lines.append(
            f"  {mix:<9} "
            + ", ".join(f"{name} {size:.0f}" for name, size in m["index_bytes_per_event"].items())
        )
    lines.append("event counts (rows and bytes; they grow by minute × node × event type):")
    for mix, m in results["mixes"].items():
        c = m["event_counts"]
        lines.append(
            f"  {mix:<9} by minute {c['minute_rows']:,} rows {c['minute_bytes'] / 1024:,.0f} KB, "
            f"by hour {c['hourly_rows']:,} rows {c['hourly_bytes'] / 1024:,.0f} KB"
        )
    lines.append(
        f"goal ≤ {GOAL_RATIO:g} × wire, past days: "
        + ", ".join(f"{mix} {'met' if met else 'NOT met'}" for mix, met in results["goal"].items())
    )
    return "\n".join(lines)


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="events per mix [100000]")
    parser.add_argument("--nodes", type=int, default=64, help="simulated nodes [64]")
    parser.add_argument(
        "--rate", type=float, default=5000, help="events/s offered, all nodes together [5000]"
    )
    parser.add_argument(
        "--mixes", default=",".join(MIXES), help=f"loadgen mixes [{','.join(MIXES)}]"
    )
    parser.add_argument("--results", type=Path, help="JSON output [bench/results/storage.json]")
    args = parser.parse_args()
    args.mixes = args.mixes.split(",")
    return args


if __name__ == "__main__":
    main()
