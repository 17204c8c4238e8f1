"""Blocks and work-package pipelines for bench/api.py, in the tables the triggers of
schema/016 and 017 keep, as many as its events imply: one block per slot's worth of a node's
events (its slot pattern), seen by every node; and per slot and node as many work-package
pipelines as the pattern has submissions, each package taken by a primary and two secondaries,
1 in FAILING of them failing authorization.

The events themselves are loaded with the triggers off (they are samples whose IDs link to
nothing); these rows are made directly, in SQL, spread over the same days as the events.
"""

from tart.protocol import discriminator

FAILING = 20


def block_hash(slot: int) -> str:
    return f"0x{slot:064x}"


def package_hash(slot: int, package: int) -> str:
    return f"0x{slot:032x}{package:032x}"


def slots(rows: int, nodes: int, pattern_length: int) -> int:
    return max(1, rows // (nodes * pattern_length))


def packages(submissions_per_slot: int, nodes: int) -> int:
    """The work packages of each slot: every package is submitted to three of the nodes."""
    return max(1, submissions_per_slot * nodes // 3)


def load(cur, node_ids, rows, pattern_length, submissions_per_slot, days, cores):
    """Fill the derived tables, packages on `cores` cores; returns the number of slots."""
    count = slots(rows, len(node_ids), pattern_length)
    per_slot = packages(submissions_per_slot, len(node_ids))
    cur.execute(
        "CREATE TEMP TABLE bench_slots AS SELECT s AS slot,"
        " now() - interval '1 hour' - make_interval(secs => (%(slots)s - s)"
        "   * %(days)s * 86400.0 / %(slots)s) AS t0"
        " FROM generate_series(1, %(slots)s) s;"
        "CREATE TEMP TABLE bench_nodes AS SELECT i - 1 AS i, node_id"
        " FROM unnest(%(nodes)s::text[]) WITH ORDINALITY AS n(node_id, i)",
        {"slots": count, "days": days, "nodes": list(node_ids)},
    )
    n = len(node_ids)
    cur.execute(
        "INSERT INTO blocks SELECT '0x' || lpad(to_hex(slot), 64, '0'), slot,"
        " (SELECT node_id FROM bench_nodes WHERE i = slot %% %(n)s), t0 FROM bench_slots;"
        # Node i is (i - author) mod n places after the author: it hears of the block 5 ms per
        # place after it is authored and imports it 20 ms per place after, give or take 10 ms.
        "INSERT INTO block_sightings SELECT '0x' || lpad(to_hex(s.slot), 64, '0'), d.node_id,"
        " s.slot, a.at, a.at, h.at, h.at, NULL, NULL, i.at, i.at, i.at + interval '8 ms',"
        " i.at + interval '8 ms', NULL"
        " FROM bench_slots s CROSS JOIN bench_nodes d"
        " CROSS JOIN LATERAL (SELECT (d.i - s.slot %% %(n)s + %(n)s) %% %(n)s AS place) p"
        " CROSS JOIN LATERAL (SELECT CASE WHEN p.place = 0 THEN s.t0 END AS at) a"
        " CROSS JOIN LATERAL (SELECT s.t0 + make_interval(secs => p.place * 0.005) AS at) h"
        " CROSS JOIN LATERAL (SELECT CASE WHEN p.place > 0 THEN s.t0 + make_interval("
        "   secs => p.place * 0.02 + random() * 0.01) END AS at) i;"
        "UPDATE blocks k SET reporting_nodes = x.nodes, had_at = x.had_at, had_time = x.had_time"
        " FROM (SELECT header_hash, count(*) AS nodes,"
        "   array_agg(least(authored_at, importing_at)) AS had_at,"
        "   array_agg(least(authored_time, importing_time)) AS had_time"
        "   FROM block_sightings GROUP BY header_hash) x WHERE x.header_hash = k.header_hash",
        {"n": n},
    )
    cur.execute(
        "INSERT INTO work_packages SELECT '0x' || lpad(to_hex(s.slot), 32, '0')"
        " || lpad(to_hex(k), 32, '0'), k %% %(cores)s, s.t0 + interval '1 s'"
        " FROM bench_slots s CROSS JOIN generate_series(1, %(packages)s) k;"
        # Package k of a slot: primary node k mod n, secondaries the next two; one session
        # per node, submission IDs unique within it.
        "INSERT INTO work_package_pipelines (session_id, submission_id, node_id, shared,"
        " work_package_hash, core, created_at, submitted, received, authorized, refined,"
        " report_built, signature_sent, guarantee_built, guarantee_sent, distributed, failed,"
        " failure, guarantees_sent)"
        " SELECT x.id, (s.slot * %(packages)s + k) * 3 + r, g.node_id, r > 0,"
        " '0x' || lpad(to_hex(s.slot), 32, '0') || lpad(to_hex(k), 32, '0'), k %% %(cores)s,"
        " t, t, t + interval '10 ms',"
        " CASE WHEN NOT f THEN t + interval '30 ms' END,"
        " CASE WHEN NOT f THEN t + interval '80 ms' END,"
        " CASE WHEN NOT f THEN t + interval '100 ms' END,"
        " CASE WHEN NOT f AND r > 0 THEN t + interval '40 ms' END,"
        " CASE WHEN NOT f AND r = 0 THEN t + interval '150 ms' END,"
        " CASE WHEN NOT f AND r = 0 THEN t + interval '160 ms' END,"
        " CASE WHEN NOT f AND r = 0 THEN t + interval '170 ms' END,"
        " CASE WHEN f THEN t + interval '30 ms' END,"
        " CASE WHEN f THEN 'authorization failed' END,"
        " CASE WHEN NOT f AND r = 0 THEN 2 ELSE 0 END"
        " FROM bench_slots s CROSS JOIN generate_series(1, %(packages)s) k"
        " CROSS JOIN generate_series(0, 2) r"
        " CROSS JOIN LATERAL (SELECT k %% %(failing)s = 0 AS f,"
        "   s.t0 + interval '1 s' + make_interval(secs => r * 0.105) AS t) w"
        " JOIN bench_nodes g ON g.i = (k + r) %% %(n)s"
        " JOIN sessions x ON x.node_id = g.node_id"
        " WHERE r = 0 OR NOT k %% %(failing)s = 0;"
        "INSERT INTO work_package_failures SELECT session_id, submission_id, node_id, %(failed)s,"
        " failure, created_at, failed FROM work_package_pipelines WHERE failed IS NOT NULL",
        {
            "packages": per_slot,
            "n": n,
            "failing": FAILING,
            "cores": cores,
            "failed": discriminator("WorkPackageFailed"),
        },
    )
    cur.execute("DROP TABLE bench_slots, bench_nodes")
    return count
