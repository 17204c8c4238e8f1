"""The block and work-package tracking (schema/016, 017, 030, 031) finds the links, sightings,
blocks and pipelines an event names by their keys. It never reads a whole table, so a batch
costs the same however many rows those tables keep."""

from tart.db.connect import connect
from tests.support.ingest import running_ingest
from tests.support.loadgen import send_lifecycles

TRACKING_TABLES = (
    "block_links",
    "block_sightings",
    "blocks",
    "work_package_links",
    "work_package_pipelines",
    "work_package_failures",
    "work_packages",
)
COLUMNS = "node_id, session_id, event_id, event_type, node_timestamp, timestamp, created_at, data"
BATCH = 100


def test_tracking_reads_no_table_whole(database_url):
    with running_ingest(database_url) as (_, port, _):
        send_lifecycles(database_url, port, 5, 2, 3)
    conn = connect(database_url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT min(id), max(id) FROM events")
            first, last = cur.fetchone()
            cur.execute(f"TRUNCATE {', '.join(TRACKING_TABLES)}")

        def replay(cur, start, end):
            """The stored events with ids in [start, end) inserted again, as the writer would."""
            cur.execute(
                f"INSERT INTO events ({COLUMNS}) SELECT {COLUMNS} FROM events"
                " WHERE id >= %s AND id < %s ORDER BY id",
                (start, end),
            )

        # This connection plans the tracking's statements now, with its tables empty; then
        # they keep thousands of rows, as on a network that has run for a while.
        with conn, conn.cursor() as cur:
            replay(cur, first, first + BATCH)
        with conn, conn.cursor() as cur:
            cur.execute(
                "INSERT INTO block_links (session_id, event_id, slot, header_hash, created_at)"
                " SELECT -1, g, g, '0x' || md5(g::text), now() FROM generate_series(1, 20000) g;"
                " INSERT INTO work_package_links (session_id, event_id, submission_id,"
                " created_at) SELECT -1, g, g, now() FROM generate_series(1, 20000) g;"
                " INSERT INTO work_package_pipelines (session_id, submission_id, node_id,"
                " created_at) SELECT -1, g, 'elsewhere', now() FROM generate_series(1, 20000) g;"
                " INSERT INTO blocks (header_hash, first_seen_at)"
                " SELECT 'x' || md5(g::text), now() FROM generate_series(1, 20000) g"
            )
        # The statistics of this connection's transactions so far are flushed as this one
        # ends, so that pg_stat_xact_user_tables counts only the replay's.
        with conn, conn.cursor() as cur:
            cur.execute("SELECT pg_stat_force_next_flush()")
        with conn, conn.cursor() as cur:
            for start in range(first + BATCH, last + 1, BATCH):
                replay(cur, start, min(start + BATCH, last + 1))
            cur.execute(
                "SELECT relname, seq_scan FROM pg_stat_xact_user_tables WHERE relname = ANY(%s)",
                (list(TRACKING_TABLES),),
            )
            scans = dict(cur.fetchall())
            cur.execute("SELECT count(*) FROM block_sightings")
            sightings = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM work_package_pipelines WHERE session_id > 0")
            pipelines = cur.fetchone()[0]
    finally:
        conn.close()
    assert sightings > 0 and pipelines > 0, "the replayed lifecycles were not tracked"
    assert scans == dict.fromkeys(TRACKING_TABLES, 0)
