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

from _baseline import Baseline
from _pg import BenchPostgres
from _staged import STAGE, Inserts

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
            inserts = Inserts({True: with_triggers, False: without})
            for number, first in enumerate(range(0, args.rows, batch)):
                inserts.insert(number % 2 == 0, first, first + batch)
            (on, cpu_on), (off, cpu_off) = inserts.per_batch(True), inserts.per_batch(False)
            print(
                f"{mix:10} batch of {batch}: INSERT with triggers {on:.2f} ms, without "
                f"{off:.2f} ms (+{on - off:.2f}); server CPU {cpu_on:.2f} ms against "
                f"{cpu_off:.2f} ms (+{cpu_on - cpu_off:.2f})",
                flush=True,
            )
            with_triggers.close()
            without.close()


if __name__ == "__main__":
    main()
