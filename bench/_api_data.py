"""The database bench/api.py measures: synthetic telemetry of a large network over 30 daily
partitions, generated inside PostgreSQL from sample payloads, as ingest would have stored it
(secondary indexes, derived tables, event counts, decode errors, an ingest's counters). A
database that already holds the same number of events is reused as it is.
"""

import hashlib
import random
import time
from datetime import UTC, datetime

import _propagation_data
from psycopg2.extras import Json, execute_values

from tart.config import Settings
from tart.db.connect import connect
from tart.db.migrate import migrate
from tart.loadgen.nodes import SimulatedNode
from tart.protocol import (
    DISCRIMINATOR_OFFSET,
    EVENT_HEADER_SIZE,
    EVENTS,
    JAM_COMMON_ERA,
    discriminator,
)
from tart.protocol.samples import sample

DAYS = Settings().raw_retention_days  # the default retention: one partition per day
VARIANTS = 16  # distinct sample payloads per event kind
CORE_COUNT = SimulatedNode.core_count  # as the loadgen's nodes report

# Events of each kind in one 6-second slot of a validator, as on a large network: blocks,
# announcements, connections and the work-package pipeline; about 1 in 100 slots authored.
SLOT_MIX = {
    "Status": 3,
    "BestBlockChanged": 1,
    "FinalizedBlockChanged": 1,
    "Importing": 1,
    "BlockVerified": 1,
    "BlockExecuted": 1,
    "BlockAnnounced": 24,
    "ConnectingOut": 4,
    "ConnectedOut": 4,
    "Disconnected": 4,
    "WorkPackageSubmission": 6,
    "WorkPackageReceived": 6,
    "Authorized": 6,
    "Refined": 6,
    "WorkReportBuilt": 6,
    "GuaranteeBuilt": 6,
}
AUTHORED_EVERY = 100  # rows of the slot pattern between two Authored events
# Triggers that keep block and work-package tables (schema/016, 017).
DERIVED_BY = ("events_track_blocks", "events_track_work_packages")

IMPLEMENTATIONS = ("polkajam", "jamduna", "pbnj", "typeberry", "jamixir", "tessera")


def prepare(url, nodes, rows):
    """The ids of `nodes` nodes, whose `rows` events the database at `url` then holds."""
    _tune(url)
    migrate(url)
    node_ids = [hashlib.sha256(f"bench-node-{n}".encode()).hexdigest() for n in range(nodes)]
    if _stored_rows(url) != rows:
        _load(url, node_ids, rows)
    _keep_minute_counts(url)
    return node_ids


def slots(rows, nodes):
    """The slots, each with its block, that `rows` events of `nodes` nodes span."""
    return _propagation_data.slots(rows, nodes, len(_slot_pattern()))


def packages(nodes):
    """The work packages of each slot."""
    return _propagation_data.packages(SLOT_MIX["WorkPackageSubmission"], nodes)


def _tune(url):
    """The load needs no durability; bigger WAL segments spare checkpoints while loading."""
    conn = connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        for setting in (
            "fsync = off",
            "synchronous_commit = off",
            "max_wal_size = '8GB'",
            "full_page_writes = off",
            "maintenance_work_mem = '512MB'",
        ):
            cur.execute(f"ALTER SYSTEM SET {setting}")
        cur.execute("SELECT pg_reload_conf()")
    conn.close()


def _stored_rows(url):
    conn = connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT coalesce(sum(event_count), 0) FROM known_nodes")
        (rows,) = cur.fetchone()
    conn.close()
    return int(rows)


def _keep_minute_counts(url):
    """Delete the counts by minute past their retention, as ingest's maintenance would: the
    load counts all DAYS of events by minute. What is left is rewritten in time order, the
    order ingest writes them in (the load's statements write them in no particular order), so
    that a range of minutes is a range of the table's pages, as in a live database."""
    conn = connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        days = Settings.from_env().minute_aggregate_retention_days
        cur.execute(
            "DELETE FROM event_stats_node_minute WHERE minute < now() - make_interval(days => %s)",
            (days,),
        )
        cur.execute(
            "DELETE FROM event_stats_minute WHERE minute < now() - make_interval(days => %s)",
            (days,),
        )
        if cur.rowcount:
            cur.execute("CLUSTER event_stats_minute USING event_stats_minute_pkey")
            cur.execute("ANALYZE event_stats_minute")
    conn.close()


def _slot_pattern():
    """The event type of each position in the repeating pattern of rows, Authored included."""
    pattern = [discriminator(name) for name, count in SLOT_MIX.items() for _ in range(count)]
    random.Random(1).shuffle(pattern)
    return pattern


def _load(url, node_ids, rows):
    """Store `rows` events, generated inside PostgreSQL from a table of sample payloads."""
    started = time.monotonic()
    conn = connect(url)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute(
        "TRUNCATE events, decode_errors, sessions, known_nodes, ingest_stats, event_stats_minute,"
        " event_stats_hourly, event_stats_node_minute, event_stats_node_hourly,"
        " event_count_ranges, blocks, block_sightings, work_packages,"
        " work_package_pipelines, work_package_failures"
    )
    today = datetime.now(UTC).date()
    for back in range(DAYS + 1):  # the oldest rows are DAYS days old
        cur.execute(
            "SELECT to_char(%s::date - %s, 'YYYYMMDD'), (%s::date - %s)::timestamp "
            "AT TIME ZONE 'UTC'",
            (today, back, today, back),
        )
        name, start = cur.fetchone()
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS events_{name} PARTITION OF events "
            f"FOR VALUES FROM (%s) TO (%s::timestamptz + interval '1 day')",
            (start, start),
        )
    rng = random.Random(2)
    for n, node_id in enumerate(node_ids):
        cur.execute(
            "INSERT INTO known_nodes (node_id, implementation_name, implementation_version,"
            " gp_version, note, flags, genesis, params, peer_address, protocol_version,"
            " connected_at, last_seen_at, active_sessions)"
            " VALUES (%s, %s, '0.1.0', '0.7.1', '', 1, %s, %s, %s, 0, now() - interval '1 hour',"
            " now(), %s)",
            (
                node_id,
                IMPLEMENTATIONS[n % len(IMPLEMENTATIONS)],
                "0x" + "11" * 32,
                Json({"core_count": CORE_COUNT, "layout": "0.7"}),
                Json({"address": f"10.0.0.{n % 250 + 1}", "port": 30333}),
                int(n % 10 != 0),
            ),
        )
        cur.execute(
            "INSERT INTO sessions (node_id, remote_address, protocol_version) VALUES (%s, %s, 0)",
            (node_id, f"10.0.0.{n % 250 + 1}:40000"),
        )
    cur.execute("CREATE TEMP TABLE pattern (position int, event_type smallint)")
    pattern = _slot_pattern()
    execute_values(cur, "INSERT INTO pattern VALUES %s", list(enumerate(pattern)))
    cur.execute("CREATE TEMP TABLE payloads (event_type smallint, variant int, data jsonb)")
    authored = discriminator("Authored")
    execute_values(
        cur,
        "INSERT INTO payloads VALUES %s",
        [
            (d, v, Json({EVENTS[d].event_name: sample(EVENTS[d], CORE_COUNT, rng)}))
            for d in {*pattern, authored}
            for v in range(VARIANTS)
        ],
    )
    cur.execute(
        "CREATE TEMP TABLE node_list AS SELECT n - 1 AS position, node_id, "
        "(SELECT id FROM sessions s WHERE s.node_id = l.node_id) AS session_id "
        "FROM unnest(%s::text[]) WITH ORDINALITY AS l(node_id, n)",
        (node_ids,),
    )
    cur.execute("ANALYZE pattern; ANALYZE payloads; ANALYZE node_list")
    # Building the secondary indexes once after the load is several times faster than
    # maintaining them row by row; they are recreated from their own definitions.
    cur.execute(
        "SELECT indexname, replace(indexdef, ' ON ONLY ', ' ON ') FROM pg_indexes "
        "WHERE tablename = 'events' AND indexname <> 'events_pkey'"
    )
    indexes = cur.fetchall()
    for name, _ in indexes:
        cur.execute(f"DROP INDEX {name}")
    # Sample events link to nothing: the derived tables are filled on their own, below.
    cur.execute(f"ALTER TABLE events DISABLE TRIGGER {', DISABLE TRIGGER '.join(DERIVED_BY)}")
    span_us = DAYS * 86_400_000_000 - 3_600_000_000  # up to an hour ago
    first_us = int(time.time() * 1_000_000) - DAYS * 86_400_000_000 + 1
    chunk = 1_000_000
    for low in range(1, rows + 1, chunk):
        high = min(low + chunk - 1, rows)
        # Ids grow with created_at, as the ingest writer assigns them. Node g % nodes sends
        # the pattern in turn (its k-th event is pattern[k % len]), with every
        # AUTHORED_EVERY-th of its events an Authored one.
        cur.execute(
            "INSERT INTO events (id, node_id, session_id, event_id, event_type, node_timestamp,"
            " timestamp, created_at, data) "
            "SELECT g, n.node_id, n.session_id, k, p.event_type,"
            " (t - %(era)s - 50000)::numeric, to_timestamp((t - 50000) / 1e6),"
            " to_timestamp(t / 1e6), d.data "
            "FROM generate_series(%(low)s::bigint, %(high)s) g"
            " CROSS JOIN LATERAL (SELECT"
            "   %(first)s::bigint + (g::numeric * %(span)s / %(rows)s)::bigint AS t,"
            "   g / %(nodes)s AS k) per_node"
            " JOIN node_list n ON n.position = g %% %(nodes)s"
            " JOIN pattern p0 ON p0.position = k %% %(pattern)s"
            " CROSS JOIN LATERAL (SELECT CASE WHEN k %% %(authored_every)s = 0"
            "   THEN %(authored)s::smallint ELSE p0.event_type END AS event_type) p"
            " JOIN payloads d ON d.event_type = p.event_type AND d.variant = k %% %(variants)s",
            {
                "low": low,
                "high": high,
                "nodes": len(node_ids),
                "pattern": len(pattern),
                "authored_every": AUTHORED_EVERY,
                "authored": authored,
                "variants": VARIANTS,
                "first": first_us,
                "span": span_us,
                "rows": rows,
                "era": int(JAM_COMMON_ERA.timestamp()) * 1_000_000,
            },
        )
        print(f"\rloaded {high:,} of {rows:,} events", end="", flush=True)
    print()
    for _, definition in indexes:
        cur.execute(definition)
    cur.execute(f"ALTER TABLE events ENABLE TRIGGER {', ENABLE TRIGGER '.join(DERIVED_BY)}")
    _propagation_data.load(
        cur, node_ids, rows, len(pattern), SLOT_MIX["WorkPackageSubmission"], DAYS, CORE_COUNT
    )
    cur.execute("SELECT setval('events_id_seq', %s)", (rows,))
    cur.execute("SELECT tart_fold_event_counts()")  # the event counts, as ingest keeps them
    cur.execute(
        "UPDATE known_nodes SET event_count = c.events, best_slot = c.events / 10,"
        " finalized_slot = c.events / 10 - 2, best_hash = '0x' || repeat('ab', 32)"
        " FROM (SELECT node_id, count(*) AS events FROM events GROUP BY node_id) c"
        " WHERE c.node_id = known_nodes.node_id"
    )
    # A SyncStatusChanged whose boolean is 0x61: a zero timestamp, the discriminator, the byte.
    unsynced = discriminator("SyncStatusChanged")
    cur.execute(
        "INSERT INTO decode_errors (node_id, session_id, event_id, discriminator, event_name,"
        " raw, field_path, byte_offset, reason)"
        " SELECT node_id, session_id, g, %(d)s, %(name)s, %(raw)s, %(field)s,"
        " %(offset)s, 'invalid boolean 0x61' FROM node_list, generate_series(1, 200) g",
        {
            "d": unsynced,
            "name": EVENTS[unsynced].event_name,
            "field": f"{EVENTS[unsynced].event_name}.synced",
            "raw": bytes(DISCRIMINATOR_OFFSET) + bytes([unsynced, 0x61]),
            "offset": EVENT_HEADER_SIZE,
        },
    )
    cur.execute(
        "INSERT INTO ingest_stats (process_id, host, pid, started_at, updated_at, counters)"
        " VALUES ('bench', 'bench', 1, now(), now(), %s)",
        (
            Json(
                {
                    "active_connections": len(node_ids),
                    "events_received": rows,
                    "events_stored": rows,
                }
            ),
        ),
    )
    # Autovacuum would get there in time; without it index-only scans visit the heap.
    cur.execute("VACUUM ANALYZE")
    conn.close()
    print(f"loaded {rows:,} events in {time.monotonic() - started:.0f} s")
