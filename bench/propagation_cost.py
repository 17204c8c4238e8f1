"""What the block and work-package triggers (schema/016, 017) add to each batch insert.

    .venv/bin/python bench/propagation_cost.py [--rows 20000] [--nodes 64]

For each loadgen mix, the mix's rows (as bench/_baseline.py makes them for the ingest
benchmark's ceiling) are staged in a table, then inserted into `events` in batches of
TART_BATCH_SIZE, alternately on a session with the triggers (the default) and on one with
`session_replication_role = replica`, which skips them. Alternating batch by batch on two
sessions, each with its own cached plans, keeps other load on a shared machine from favouring
either side. Prints, both ways, the median wall time of a batch's INSERT and the CPU time its
server process spent per batch (from /proc: unlike wall time, hardly moved by other load on
the machine); the difference is what the triggers cost a batch.
"""

import argparse
import statistics
import time

from _baseline import Baseline
from _pg import BenchPostgres
from _staged import INSERT, STAGE, cpu_seconds

from tart.config import Settings
from tart.db.connect import connect

MIXES = ("all", "status", "network", "pipeline", "lifecycles")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--nodes", type=int, default=64)
    args = parser.parse_args()
    batch = Settings.from_env().batch_size
    with BenchPostgres() as pg:
        for mix in MIXES:
            url = pg.database(f"bench_{mix}")
            Baseline(url, mix, args.nodes, args.rows, batch).execute_values()
            with_triggers, without = connect(url), connect(url)
            for conn in (with_triggers, without):
                conn.autocommit = True
            with with_triggers.cursor() as cur:
                cur.execute(STAGE)
            with without.cursor() as cur:
                cur.execute("SET session_replication_role = replica")
            pids = {}
            for triggers, conn in ((True, with_triggers), (False, without)):
                with conn.cursor() as cur:
                    cur.execute("SELECT pg_backend_pid()")
                    pids[triggers] = cur.fetchone()[0]
            cpu = {triggers: -cpu_seconds(pid) for triggers, pid in pids.items()}
            times = {True: [], False: []}
            for number, first in enumerate(range(0, args.rows, batch)):
                triggers = number % 2 == 0
                with (with_triggers if triggers else without).cursor() as cur:
                    started = time.perf_counter()
                    cur.execute(INSERT, (first, first + batch))
                    times[triggers].append((time.perf_counter() - started) * 1000)
            for triggers, pid in pids.items():
                cpu[triggers] = (cpu[triggers] + cpu_seconds(pid)) * 1000 / len(times[triggers])
            on, off = statistics.median(times[True]), statistics.median(times[False])
            print(
                f"{mix:10} batch of {batch}: INSERT with triggers {on:.2f} ms, without "
                f"{off:.2f} ms (+{on - off:.2f}); server CPU {cpu[True]:.2f} ms against "
                f"{cpu[False]:.2f} ms (+{cpu[True] - cpu[False]:.2f})",
                flush=True,
            )
            with_triggers.close()
            without.close()


if __name__ == "__main__":
    main()
