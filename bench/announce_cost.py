"""What announcing the blocks and work-packages a batch changed (schema/030) adds to its insert.

    .venv/bin/python bench/announce_cost.py [--rows 20000] [--nodes 64] [--mix lifecycles]

The mix's rows (as bench/_baseline.py makes them for the ingest benchmark's ceiling) are staged,
then inserted into `events` in batches of TART_BATCH_SIZE, alternately into a database with the
announcing triggers and into one without them (dropped after migrating), on one PostgreSQL, as
bench/index_cost.py does for an index. Each batch commits on its own, as the writer's do, so
the notifications' cost at commit is counted. Prints, both ways, the median wall time of a
batch and the CPU time its server process spent per batch (from /proc: unlike wall time, hardly
moved by other load on the machine), and how many batches announced something.
"""

import argparse
import statistics
import time

from _baseline import Baseline
from _pg import BenchPostgres
from _staged import INSERT, STAGE, cpu_seconds

from tart.config import Settings
from tart.db import CHANGES_CHANNEL
from tart.db.connect import connect

DROP_TRIGGERS = """DO $$ DECLARE t record; BEGIN
FOR t IN SELECT tgname, tgrelid::regclass AS rel FROM pg_trigger
         WHERE tgfoid::regproc::text LIKE 'tart_announce_%' LOOP
    EXECUTE format('DROP TRIGGER %I ON %s', t.tgname, t.rel);
END LOOP; END $$"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--nodes", type=int, default=64)
    parser.add_argument("--mix", default="lifecycles")
    args = parser.parse_args()
    batch = Settings.from_env().batch_size
    with BenchPostgres() as pg:
        conns, urls = {}, {}
        for announcing in (True, False):
            url = urls[announcing] = pg.database(
                "bench_announcing" if announcing else "bench_quiet"
            )
            Baseline(url, args.mix, args.nodes, args.rows, batch).execute_values()
            conn = conns[announcing] = connect(url)
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(STAGE)
                if not announcing:
                    cur.execute(DROP_TRIGGERS)
        listening = connect(urls[True])
        listening.autocommit = True
        with listening.cursor() as cur:
            cur.execute(f"LISTEN {CHANGES_CHANNEL}")
        pids = {}
        for announcing, conn in conns.items():
            with conn.cursor() as cur:
                cur.execute("SELECT pg_backend_pid()")
                pids[announcing] = cur.fetchone()[0]
        times = {True: [], False: []}
        announced = set()
        cpu = {announcing: -cpu_seconds(pid) for announcing, pid in pids.items()}
        for first in range(0, args.rows, batch):
            for announcing in (True, False) if first // batch % 2 else (False, True):
                with conns[announcing].cursor() as cur:
                    started = time.perf_counter()
                    cur.execute(INSERT, (first, first + batch))
                    times[announcing].append((time.perf_counter() - started) * 1000)
            listening.poll()
            announced.update(n.payload.split(" ", 1)[0] for n in listening.notifies)
            listening.notifies.clear()
        for announcing, pid in pids.items():
            cpu[announcing] = (cpu[announcing] + cpu_seconds(pid)) * 1000 / len(times[announcing])
        on, off = statistics.median(times[True]), statistics.median(times[False])
        print(
            f"{args.mix}, {args.nodes} nodes, {len(times[True])} batches of {batch} each way,"
            f" {len(announced)} announcing changes: INSERT with the triggers {on:.2f} ms,"
            f" without {off:.2f} ms (+{on - off:.2f}); server CPU {cpu[True]:.2f} ms against"
            f" {cpu[False]:.2f} ms (+{cpu[True] - cpu[False]:.2f},"
            f" {100 * (cpu[True] - cpu[False]) / cpu[False]:+.1f} %)"
        )
        listening.close()


if __name__ == "__main__":
    main()
