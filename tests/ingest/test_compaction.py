"""Past days' partitions get their indexes rebuilt once, today's not (schema/025,
tart/ingest/compaction.py)."""

import time

from tests.support.ingest import query, running_ingest, scalar
from tests.support.procs import wait_for

# Old days must outlive the retention for the test.
KEEP_EVERYTHING = 36500
INDEXES = (
    "SELECT i.relname, i.relfilenode FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
    " WHERE x.indrelid = %s::regclass AND x.indisvalid"
    " AND EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = x.indexrelid) ORDER BY 1"
)


def _partition(database_url, day):
    name = f"events_{day.replace('-', '')}"
    query(
        database_url,
        f"CREATE TABLE {name} PARTITION OF events FOR VALUES FROM ('{day} 00:00+00')"
        f" TO (('{day}'::date + 1)::timestamp AT TIME ZONE 'UTC'); SELECT 1",
    )
    return name


def _compacted(database_url):
    return {
        row[0] for row in query(database_url, "SELECT partition_name FROM compacted_partitions")
    }


def test_a_past_day_is_rebuilt_once_smaller_and_today_is_left_alone(database_url):
    past = _partition(database_url, "2024-01-01")
    # As ingest writes a day: in id order, 200 nodes' events interleaved, so the node index
    # takes its entries in the middle of the index.
    query(
        database_url,
        "INSERT INTO events (node_id, session_id, event_id, event_type, node_timestamp,"
        " created_at, data) SELECT lpad(to_hex(mod(n, 200)), 64, '0'), 1, n / 200, 10, 0,"
        " '2024-01-01 12:00+00', '{}' FROM generate_series(1, 30000) n; SELECT 1",
    )
    before = scalar(database_url, "SELECT pg_indexes_size(%s::regclass)", (past,))
    indexes = query(database_url, INDEXES, (past,))
    parent = "SELECT count(*) FROM pg_index WHERE indrelid = 'events'::regclass"
    assert len(indexes) == scalar(database_url, parent) >= 3

    with running_ingest(database_url, TART_RAW_RETENTION_DAYS=KEEP_EVERYTHING):
        wait_for(lambda: past in _compacted(database_url), "the past day rebuilt", 60)

    after = scalar(database_url, "SELECT pg_indexes_size(%s::regclass)", (past,))
    assert after < 0.75 * before
    rebuilt = query(database_url, INDEXES, (past,))
    # The same indexes, valid and still the parent's, in new files.
    assert [name for name, _ in rebuilt] == [name for name, _ in indexes]
    assert all(new != old for (_, new), (_, old) in zip(rebuilt, indexes))
    # Full pages: nothing will be inserted into a past day.
    options = "SELECT c.reloptions FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid"
    assert {
        tuple(row[0])
        for row in query(database_url, options + " WHERE x.indrelid = %s::regclass", (past,))
    } == {("fillfactor=100",)}
    assert scalar(database_url, "SELECT count(*) FROM events WHERE created_at < '2024-01-02'") == (
        30000
    )
    today = f"events_{time.strftime('%Y%m%d', time.gmtime())}"
    assert today not in _compacted(database_url)

    another = _partition(database_url, "2024-01-02")
    with running_ingest(database_url, TART_RAW_RETENTION_DAYS=KEEP_EVERYTHING):
        wait_for(lambda: another in _compacted(database_url), "the other past day rebuilt", 60)
    assert query(database_url, INDEXES, (past,)) == rebuilt  # not rebuilt twice
