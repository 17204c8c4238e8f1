"""What keeping the event counts (schema/012, 021) costs PostgreSQL per batch of events.

    .venv/bin/python bench/counts_cost.py [--rows 300000] [--nodes 256] [--mixes all,status]
    PYTHONPATH=<older worktree> .venv/bin/python bench/counts_cost.py --trigger events_counted

For each loadgen mix, two databases on one server get the same rows (as bench/_baseline.py
makes them for the ingest benchmark's ceiling), inserted into `events` in batches of
TART_BATCH_SIZE, alternating batch by batch: one keeps the counts, the other has the counting
trigger (`--trigger`) dropped. Where the schema folds the counts in (tart_fold_event_counts),
the counted database folds every `--fold-every` batches — by default as often as ingest folds
under load at 10,000 events/s — and its folds are timed too. Alternating batch by batch keeps
other load on a shared machine from favouring either side. Prints, both ways, the median
wall time of a batch's INSERT and the CPU its server process spent per batch (from /proc:
hardly moved by other load), and the folds' CPU shared out over the batches they folded.
"""

import argparse
import statistics
import time

from _baseline import Baseline
from _pg import BenchPostgres
from _staged import INSERT, STAGE, cpu_seconds

from tart.config import Settings
from tart.db.connect import connect


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--nodes", type=int, default=256)
    parser.add_argument("--mixes", default="all,status")
    # 30 s of 10,000 events/s in batches of 100, as ingest folds under load (FOLD_INTERVAL in
    # tart/ingest/server.py).
    parser.add_argument("--fold-every", type=int, default=3000, help="batches per fold [3000]")
    parser.add_argument(
        "--trigger", default="events_noted", help="the trigger that counts [events_noted]"
    )
    args = parser.parse_args()
    batch = Settings.from_env().batch_size
    with BenchPostgres() as pg:
        for mix in args.mixes.split(","):
            sides = {}
            for counted in (True, False):
                url = pg.database(f"bench_{mix}_{'counted' if counted else 'uncounted'}")
                Baseline(url, mix, args.nodes, args.rows, batch).execute_values()
                conn = connect(url)
                conn.autocommit = True
                with conn.cursor() as cur:
                    cur.execute(STAGE)
                    cur.execute("TRUNCATE event_stats_minute, event_stats_hourly")
                    if not counted:
                        cur.execute(f"DROP TRIGGER {args.trigger} ON events")
                    cur.execute("SELECT to_regproc('tart_fold_event_counts') IS NOT NULL")
                    folds = counted and cur.fetchone()[0]
                    if folds:  # the ranges of the rows staged and truncated
                        cur.execute("TRUNCATE event_count_ranges")
                    cur.execute("SET synchronous_commit = off")  # as ingest's connections
                    cur.execute("SELECT pg_backend_pid()")
                    sides[counted] = _Side(conn, cur.fetchone()[0], folds)
            for number, first in enumerate(range(0, args.rows, batch)):
                for side in sides.values() if number % 2 else reversed(sides.values()):
                    side.insert(first, first + batch)
                    if side.folds and (number + 1) % args.fold_every == 0:
                        side.fold()
            for side in sides.values():
                if side.folds:
                    side.fold()
            _report(mix, batch, sides[True], sides[False])
            for side in sides.values():
                side.conn.close()


class _Side:
    """One database's connection, its server process and what its batches and folds cost."""

    def __init__(self, conn, pid, folds):
        self.conn, self.pid, self.folds = conn, pid, folds
        self.times, self.cpu, self.fold_cpu, self.folded = [], 0.0, 0.0, 0

    def insert(self, first, last):
        with self.conn.cursor() as cur:
            cpu, started = cpu_seconds(self.pid), time.perf_counter()
            cur.execute(INSERT, (first, last))
            self.times.append((time.perf_counter() - started) * 1000)
            self.cpu += cpu_seconds(self.pid) - cpu

    def fold(self):
        with self.conn.cursor() as cur:
            cpu = cpu_seconds(self.pid)
            cur.execute("SELECT tart_fold_event_counts()")
            self.folded += cur.fetchone()[0]
            self.fold_cpu += cpu_seconds(self.pid) - cpu


def _report(mix, batch, counted, uncounted):
    batches = len(counted.times)
    ms = {side: side.cpu * 1000 / batches for side in (counted, uncounted)}
    fold = counted.fold_cpu * 1000 / batches
    print(
        f"{mix:8} batch of {batch}: INSERT {statistics.median(counted.times):.2f} ms counted,"
        f" {statistics.median(uncounted.times):.2f} ms not; server CPU per batch"
        f" {ms[counted]:.2f} + folds {fold:.2f} = {ms[counted] + fold:.2f} ms counted,"
        f" {ms[uncounted]:.2f} ms not ({(ms[counted] + fold) / ms[uncounted]:.2f} ×);"
        f" {counted.folded} events folded",
        flush=True,
    )


if __name__ == "__main__":
    main()
