"""Event counts by minute and hour (schema/012_event_stats.sql, folded in from the events as
schema/021_event_counts_folded.sql says; by node of all types together, schema/029) are exact:
after realistic traffic, after a database restart under load (the writer sends batches again),
with inserts interleaved and rolled back, and after the raw rows they count are gone."""

import time
from contextlib import closing

import pytest

from tart.db.connect import connect
from tests.support.db import FaultyPostgres
from tests.support.ingest import query, running_ingest, scalar, wait_for_rows
from tests.support.loadgen import loadgen, loadgen_process, sent_per_node

RAW_COUNTS = (
    "SELECT date_trunc('{unit}', created_at, 'UTC'), node_id, event_type, count(*)"
    " FROM events GROUP BY 1, 2, 3"
)
RAW_NODE_COUNTS = (
    "SELECT date_trunc('{unit}', created_at, 'UTC'), node_id, count(*) FROM events GROUP BY 1, 2"
)


def counts(url, table, bucket):
    return {
        row[:3]: row[3]
        for row in query(url, f"SELECT {bucket}, node_id, event_type, event_count FROM {table}")
    }


def raw(url, unit):
    return {row[:3]: row[3] for row in query(url, RAW_COUNTS.format(unit=unit))}


def by_node(url, table, bucket):
    return {
        row[:2]: row[2] for row in query(url, f"SELECT {bucket}, node_id, event_count FROM {table}")
    }


def raw_by_node(url, unit):
    return {row[:2]: row[2] for row in query(url, RAW_NODE_COUNTS.format(unit=unit))}


def assert_exact(url):
    minutes = counts(url, "event_stats_minute", "minute")
    hours = counts(url, "event_stats_hourly", "hour")
    assert minutes == raw(url, "minute")
    assert hours == raw(url, "hour")
    # The counts of all event types of a node together (schema/029) are as exact.
    assert by_node(url, "event_stats_node_minute", "minute") == raw_by_node(url, "minute")
    assert by_node(url, "event_stats_node_hourly", "hour") == raw_by_node(url, "hour")
    return minutes, hours


def test_counts_equal_the_raw_rows_after_loadgen_traffic(database_url, tmp_path):
    summary = tmp_path / "summary.json"
    with running_ingest(database_url) as (_, port, _):
        result = loadgen(
            port,
            "--nodes",
            "20",
            "--count",
            "300",
            "--rate",
            "500",
            "--mix",
            "all",
            "--summary-json",
            summary,
        )
        assert result.returncode == 0, result.stderr
        sent = sent_per_node(summary)
        wait_for_rows(database_url, "SELECT count(*) FROM events", sum(sent.values()))
    minutes, hours = assert_exact(database_url)
    per_node = {}
    for (_, node_id, _), count in hours.items():
        per_node[node_id] = per_node.get(node_id, 0) + count
    assert per_node == sent
    assert sum(minutes.values()) == sum(sent.values()) == 6000
    # The `all` mix sends every kind of event: each is counted under its own type.
    assert len({event_type for _, _, event_type in hours}) > 100


def test_raw_rows_deleted_or_dropped_leave_the_counts(database_url):
    query(
        database_url,
        "CREATE TABLE events_20240101 PARTITION OF events FOR VALUES"
        " FROM ('2024-01-01 00:00+00') TO ('2024-01-02 00:00+00');"
        " INSERT INTO events (node_id, session_id, event_id, event_type, node_timestamp, data,"
        " created_at) SELECT %s, 1, g, 11 + g %% 2, 0, '{}', t - make_interval(mins => g %% 3)"
        " FROM generate_series(1, 30) g, (VALUES (now()), ('2024-01-01 12:00+00')) AS at (t)"
        " RETURNING 1",
        ("ab" * 32,),
    )
    stored = raw(database_url, "minute"), raw(database_url, "hour")
    assert sum(stored[0].values()) == sum(stored[1].values()) == 60
    assert len(stored[0]) == 3 * 2 * 2  # minutes × event types × days
    # Not folded yet: dropping the partition folds its rows before they go.
    assert query(database_url, "SELECT tart_drop_partitions(30)") == [("events_20240101",)]
    query(database_url, "DELETE FROM events WHERE true RETURNING 1")
    assert scalar(database_url, "SELECT count(*) FROM events") == 0
    after = (
        counts(database_url, "event_stats_minute", "minute"),
        counts(database_url, "event_stats_hourly", "hour"),
    )
    assert after == stored


def test_interleaved_and_rolled_back_inserts_are_folded_exactly_once(database_url):
    insert = (
        "INSERT INTO events (id, node_id, session_id, event_id, event_type, node_timestamp,"
        " data) SELECT i, %s, 1, i, 10 + i %% 3, 0, '{}' FROM unnest(%s::bigint[]) i"
    )
    node = "ef" * 32
    with closing(connect(database_url)) as first, closing(connect(database_url)) as second:
        with first.cursor() as cur:
            cur.execute(insert, (node, [1, 2, 5, 6, 7]))  # one statement, two runs of ids
        with second.cursor() as cur:
            cur.execute(insert, (node, [3, 4]))
        # Uncommitted rows are not folded, committed ones are, once.
        assert scalar(database_url, "SELECT tart_fold_event_counts()") == 0
        first.commit()
        assert scalar(database_url, "SELECT tart_fold_event_counts()") == 5
        second.rollback()
        with second.cursor() as cur:
            cur.execute(insert, (node, [4, 8]))
        second.commit()
    assert scalar(database_url, "SELECT tart_fold_event_counts()") == 2
    assert scalar(database_url, "SELECT tart_fold_event_counts()") == 0
    minutes, hours = assert_exact(database_url)
    assert sum(minutes.values()) == sum(hours.values()) == 7
    assert scalar(database_url, "SELECT count(*) FROM event_count_ranges") == 0


@pytest.fixture(scope="module")
def faulty_pg():
    server = FaultyPostgres()
    yield server
    server.stop()


def test_batches_sent_again_after_a_database_restart_are_counted_once(faulty_pg, tmp_path):
    url = faulty_pg.fresh_database()
    summary = tmp_path / "summary.json"
    try:
        with running_ingest(url, TART_LOG_LEVEL="error") as (_, port, ingest):
            with loadgen_process(
                port, summary, "--nodes", 10, "--rate", 300, "--duration", 8, "--mix", "all"
            ) as generator:
                time.sleep(2)
                faulty_pg.restart()
                time.sleep(1)
                faulty_pg.restart()
                assert generator.wait(100) == 0, generator.output()
            sent = sent_per_node(summary)
            wait_for_rows(url, "SELECT count(*) FROM events", sum(sent.values()), timeout=60)
            assert ingest.poll() is None
        assert scalar(url, "SELECT (counters->>'writer_errors')::int FROM ingest_stats") > 0
        _, hours = assert_exact(url)
        assert sum(hours.values()) == sum(sent.values())
    finally:
        faulty_pg.drop_database(url)


def test_ingest_housekeeping_keeps_each_store_for_its_own_retention(database_url):
    node = "cd" * 32
    three_days_ago = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 3 * 86400))
    query(
        database_url,
        "CREATE TABLE events_20240101 PARTITION OF events FOR VALUES"
        " FROM ('2024-01-01 00:00+00') TO ('2024-01-02 00:00+00');"
        f" CREATE TABLE events_{three_days_ago.replace('-', '')} PARTITION OF events FOR VALUES"
        f" FROM ('{three_days_ago} 00:00+00') TO ('{three_days_ago} 00:00+00'::timestamptz"
        " + interval '1 day');"
        " INSERT INTO events (node_id, session_id, event_id, event_type, node_timestamp, data,"
        " created_at) SELECT %s, 1, g, 10, 0, '{}', t FROM generate_series(1, 5) g,"
        " (VALUES ('2024-01-01 12:00+00'::timestamptz), (now() - interval '3 days'),"
        " (now())) AS at (t) RETURNING 1",
        (node,),
    )
    assert scalar(database_url, "SELECT tart_fold_event_counts()") == 15
    assert sum(counts(database_url, "event_stats_hourly", "hour").values()) == 15
    with running_ingest(
        database_url,
        TART_RAW_RETENTION_DAYS=30,
        TART_MINUTE_AGGREGATE_RETENTION_DAYS=2,
        TART_AGGREGATE_RETENTION_DAYS=3650,
    ):
        wait_for_rows(database_url, "SELECT count(*) FROM event_stats_minute", 1)
    # Raw: the 2024 day is dropped, the others kept; minutes: only today's; hours: all three.
    assert scalar(database_url, "SELECT count(*) FROM events") == 10
    assert sum(counts(database_url, "event_stats_minute", "minute").values()) == 5
    assert sorted(counts(database_url, "event_stats_hourly", "hour").values()) == [5, 5, 5]
    assert list(by_node(database_url, "event_stats_node_minute", "minute").values()) == [5]
    assert sorted(by_node(database_url, "event_stats_node_hourly", "hour").values()) == [5, 5, 5]
    with running_ingest(database_url, TART_AGGREGATE_RETENTION_DAYS=1):
        wait_for_rows(database_url, "SELECT count(*) FROM event_stats_hourly", 1)
    assert scalar(database_url, "SELECT sum(event_count)::int FROM event_stats_hourly") == 5
    assert list(by_node(database_url, "event_stats_node_hourly", "hour").values()) == [5]


def test_the_former_retention_variable_still_sets_the_raw_retention():
    from tart.config import Settings

    assert Settings.from_env({"TART_RETENTION_DAYS": "4"}).raw_retention_days == 4
    both = {"TART_RETENTION_DAYS": "4", "TART_RAW_RETENTION_DAYS": "2"}
    assert Settings.from_env(both).raw_retention_days == 2
