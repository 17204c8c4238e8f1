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

from _baseline import Baseline
from _pg import BenchPostgres
from _staged import STAGE, Inserts

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
        inserts = Inserts(conns)
        announced = set()
        for first in range(0, args.rows, batch):
            for announcing in (True, False) if first // batch % 2 else (False, True):
                inserts.insert(announcing, first, first + batch)
            listening.poll()
            announced.update(n.payload.split(" ", 1)[0] for n in listening.notifies)
            listening.notifies.clear()
        (on, cpu_on), (off, cpu_off) = inserts.per_batch(True), inserts.per_batch(False)
        print(
            f"{args.mix}, {args.nodes} nodes, {len(inserts.times[True])} batches of {batch}"
            f" each way,"
            f" {len(announced)} announcing changes: INSERT with the triggers {on:.2f} ms,"
            f" without {off:.2f} ms (+{on - off:.2f}); server CPU {cpu_on:.2f} ms against"
            f" {cpu_off:.2f} ms (+{cpu_on - cpu_off:.2f},"
            f" {100 * (cpu_on - cpu_off) / cpu_off:+.1f} %)"
        )
        listening.close()


if __name__ == "__main__":
    main()
