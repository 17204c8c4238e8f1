"""What the (node_id, event_type, id) index (schema/023) adds to each batch insert.

    .venv/bin/python bench/index_cost.py [--rows 20000] [--nodes 256] [--mix all]

The mix's rows (as bench/_baseline.py makes them for the ingest benchmark's ceiling) are staged,
then inserted into `events` in batches of TART_BATCH_SIZE, alternately into a database with the
index and into one without it (dropped after migrating), on one PostgreSQL. Alternating batch
by batch keeps other load on a shared machine from favouring either side. Prints, both ways,
the median wall time of a batch's INSERT and the CPU time its server process spent per batch
(from /proc: unlike wall time, hardly moved by other load on the machine).
"""

import argparse

from _baseline import Baseline
from _pg import BenchPostgres
from _staged import STAGE, Inserts

from tart.config import Settings
from tart.db.connect import connect

INDEX = "events_node_type_latest"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--nodes", type=int, default=256)
    parser.add_argument("--mix", default="all")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the rows [3]")
    args = parser.parse_args()
    batch = Settings.from_env().batch_size
    with BenchPostgres() as pg:
        conns = {}
        for indexed in (True, False):
            url = pg.database("bench_indexed" if indexed else "bench_plain")
            Baseline(url, args.mix, args.nodes, args.rows, batch).execute_values()
            conn = conns[indexed] = connect(url)
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(STAGE)
                if not indexed:
                    cur.execute(f"DROP INDEX {INDEX}")
        inserts = Inserts(conns)
        for _ in range(args.rounds):
            for first in range(0, args.rows, batch):
                for indexed in (True, False) if first // batch % 2 else (False, True):
                    inserts.insert(indexed, first, first + batch)
        (on, cpu_on), (off, cpu_off) = inserts.per_batch(True), inserts.per_batch(False)
        print(
            f"{args.mix}, {args.nodes} nodes, {len(inserts.times[True])} batches of {batch}"
            f" each way:"
            f" INSERT with the index {on:.2f} ms, without {off:.2f} ms (+{on - off:.2f},"
            f" {100 * (on - off) / off:+.0f} %); server CPU {cpu_on:.2f} ms against"
            f" {cpu_off:.2f} ms (+{cpu_on - cpu_off:.2f},"
            f" {100 * (cpu_on - cpu_off) / cpu_off:+.0f} %)"
        )


if __name__ == "__main__":
    main()
