"""Rebuilding the indexes of past days' partitions once their day is over (schema/025).

While its day lasts a partition's indexes on (node_id, …) take every node's entries in the
middle of the index and stay about half full; nothing is inserted once the day is over, so
rebuilt then with full pages (fillfactor 100: no room is kept for inserts that will not come)
they keep about half the size for the rest of the retention. REINDEX CONCURRENTLY holds up
neither the API's readers nor the writer, and one ingest process at a time does it (an advisory
lock).
"""

import logging
from collections.abc import Callable

from psycopg2 import sql
from psycopg2.extensions import connection, cursor

log = logging.getLogger(__name__)

# pg_advisory_lock key of the compaction (the migrations' is 7461727400, the partitions' 01).
COMPACTION_LOCK = 7461727425


def compact_past_partitions(connect: Callable[[], connection]) -> list[str]:
    """Rebuild the indexes of every past day's partition not rebuilt yet, newest first, each
    recorded as it is done; the partitions rebuilt."""
    conn = connect()
    conn.autocommit = True  # REINDEX CONCURRENTLY refuses to run in a transaction
    compacted = []
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s)", (COMPACTION_LOCK,))
            if not cur.fetchone()[0]:
                return compacted  # another ingest process is at it
            cur.execute(
                "DELETE FROM compacted_partitions WHERE to_regclass(partition_name) IS NULL"
            )
            cur.execute("SELECT tart_partitions_to_compact()")
            for (name,) in cur.fetchall():
                compact(cur, name)
                cur.execute(
                    "INSERT INTO compacted_partitions (partition_name) VALUES (%s)", (name,)
                )
                log.info("partition %s: indexes rebuilt now that its day is over", name)
                compacted.append(name)
    finally:
        conn.close()  # and with it the advisory lock
    return compacted


def compact(cur: cursor, partition: str) -> None:
    """Rebuild a partition's indexes with full pages (on an autocommit connection)."""
    cur.execute(
        "SELECT c.relname FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid"
        " WHERE x.indrelid = %s::regclass",
        (partition,),
    )
    for (index,) in cur.fetchall():
        cur.execute(sql.SQL("ALTER INDEX {} SET (fillfactor = 100)").format(sql.Identifier(index)))
    cur.execute(sql.SQL("REINDEX TABLE CONCURRENTLY {}").format(sql.Identifier(partition)))
