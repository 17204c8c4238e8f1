import datetime
import shutil
import threading

import psycopg2.errors
import pytest
from psycopg2.extras import Json

from tart.config import TartError, install_root
from tart.db.connect import connect
from tart.db.migrate import migrate, migration_files

NODE_ID = "ab" * 32
VERSIONS = [path.stem for path in migration_files(install_root() / "schema")]


@pytest.fixture
def blank_url(pg):
    url = pg.fresh_database(migrated=False)
    yield url
    pg.drop_database(url)


def query(url, sql, params=()):
    conn = connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else None
    finally:
        conn.close()


def day_partition(day: datetime.date) -> str:
    return f"events_{day:%Y%m%d}"


def utc_today() -> datetime.date:
    return datetime.datetime.now(datetime.UTC).date()


def test_migrations_apply_once_and_are_recorded(blank_url):
    assert VERSIONS[0] == "001_initial"
    assert migrate(blank_url) == VERSIONS
    assert migrate(blank_url) == []
    assert [
        row[0] for row in query(blank_url, "SELECT version FROM schema_migrations ORDER BY version")
    ] == VERSIONS
    tables = {
        row[0]
        for row in query(blank_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    }
    assert {"known_nodes", "sessions", "decode_errors", "ingest_stats"} <= tables


def test_concurrent_migrations_apply_each_file_once(blank_url):
    results, errors = [], []

    def run():
        try:
            results.append(migrate(blank_url))
        except Exception as error:  # reported below, with the others
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # Which process applies which file is a race; that each file is applied once is not.
    assert sorted(version for applied in results for version in applied) == VERSIONS


def test_failed_migration_leaves_nothing_behind(blank_url, tmp_path):
    (tmp_path / "001_good.sql").write_text("CREATE TABLE good (x int);")
    (tmp_path / "002_bad.sql").write_text("CREATE TABLE half (x int); SELECT no_such_column;")
    with pytest.raises(TartError, match=r"002_bad\.sql failed"):
        migrate(blank_url, tmp_path)
    assert query(blank_url, "SELECT version FROM schema_migrations") == [("001_good",)]
    assert query(blank_url, "SELECT to_regclass('half')") == [(None,)]


def test_partitions_exist_from_yesterday_to_days_ahead(database_url):
    today = utc_today()
    partitions = {
        row[0]
        for row in query(
            database_url,
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'events'::regclass",
        )
    }
    # The template may have been migrated yesterday if the test run crosses midnight.
    assert {day_partition(today + datetime.timedelta(days=n)) for n in range(3)} <= partitions


def test_ensure_partitions_creates_only_missing_days(database_url):
    created = [row[0] for row in query(database_url, "SELECT tart_ensure_partitions(6)")]
    assert day_partition(utc_today() + datetime.timedelta(days=6)) in created
    assert query(database_url, "SELECT tart_ensure_partitions(6)") == []


def test_drop_partitions_drops_only_days_past_retention(database_url):
    query(
        database_url,
        "CREATE TABLE events_20000101 PARTITION OF events"
        " FOR VALUES FROM ('2000-01-01 00:00+00') TO ('2000-01-02 00:00+00')",
    )
    assert query(database_url, "SELECT tart_drop_partitions(30)") == [("events_20000101",)]
    assert query(
        database_url, "SELECT to_regclass(%s) IS NOT NULL", (day_partition(utc_today()),)
    ) == [(True,)]
    assert query(database_url, "SELECT tart_drop_partitions(30)") == []


def test_event_row_for_now_is_stored_in_todays_partition(database_url):
    data = {"BestBlockChanged": {"slot": 1234, "hash": "0x" + "cd" * 32}}
    query(
        database_url,
        "INSERT INTO events (node_id, session_id, event_id, event_type, node_timestamp, data)"
        " VALUES (%s, 1, 18446744073709551615, 11, 18446744073709551615, %s)",
        (NODE_ID, Json(data)),
    )
    rows = query(database_url, "SELECT tableoid::regclass::text, event_id, data FROM events")
    assert rows == [(day_partition(utc_today()), 18446744073709551615, data)]


def test_node_row_keeps_json_and_derives_connected_state(database_url):
    params = {"val_count": 1023, "core_count": 341}
    query(
        database_url,
        "INSERT INTO known_nodes (node_id, params, peer_address, active_sessions)"
        " VALUES (%s, %s, %s, 2)",
        (NODE_ID, Json(params), Json({"address": "::1", "port": 40000})),
    )
    assert query(
        database_url, "SELECT params, peer_address->>'port', is_connected FROM known_nodes"
    ) == [(params, "40000", True)]


def test_node_id_must_be_lowercase_hex_peer_id(database_url):
    with pytest.raises(psycopg2.errors.CheckViolation):
        query(database_url, "INSERT INTO known_nodes (node_id) VALUES (%s)", ("0x" + "AB" * 32,))


def test_the_nodes_view_counts_the_connections_stored_before_it(blank_url, tmp_path):
    """027 and 028 on a database with nodes and sessions: the table keeps its rows as
    known_nodes, and the view nodes has a row per connection that add up to them."""
    before = tmp_path / "schema"
    before.mkdir()
    for path in migration_files(install_root() / "schema"):
        if path.name < "027":
            shutil.copy(path, before)
    migrate(blank_url, before)
    t = [datetime.datetime(2026, 12, 1, hour, tzinfo=datetime.UTC) for hour in range(6)]
    a, b = "aa" * 32, "bb" * 32
    query(
        blank_url,
        "INSERT INTO nodes (node_id, implementation_name, implementation_version, event_count,"
        " last_seen_at, active_sessions) VALUES (%s, 'polkajam', '0.2.0', 7, %s, 1),"
        " (%s, 'jamzig', '0.1.0', 2, %s, 0);"
        " INSERT INTO sessions (id, node_id, remote_address, opened_at, closed_at,"
        " events_stored) VALUES (1, %s, 'x', %s, %s, 3), (2, %s, 'x', %s, NULL, 4),"
        " (3, %s, 'x', %s, %s, 2), (4, NULL, 'x', %s, %s, 0)",
        (a, t[3], b, t[4], a, t[0], t[1], a, t[2], b, t[0], t[5], t[0], t[0]),
    )

    migrate(blank_url)

    assert query(blank_url, "SELECT node_id, event_count FROM known_nodes ORDER BY 1") == [
        (a, 7),
        (b, 2),
    ]
    # A closed connection was last active when it closed, at the latest; the node's latest
    # connection when the node was.
    assert query(
        blank_url,
        "SELECT session_id, node_id, implementation_name, implementation_version, is_connected,"
        " event_count, last_seen_at FROM nodes ORDER BY session_id",
    ) == [
        (1, a, "polkajam", "0.2.0", False, 3, t[1]),
        (2, a, "polkajam", "0.2.0", True, 4, t[3]),
        (3, b, "jamzig", "0.1.0", False, 2, t[4]),
    ]
    assert query(
        blank_url,
        "SELECT node_id, implementation_name, COUNT(*), SUM(event_count), MAX(last_seen_at)"
        " FROM nodes GROUP BY node_id, implementation_name ORDER BY 4 DESC",
    ) == [(a, "polkajam", 2, 7, t[3]), (b, "jamzig", 1, 2, t[4])]

    with pytest.raises(psycopg2.errors.RaiseException, match="known_nodes"):
        query(blank_url, "UPDATE nodes SET event_count = 0")
    # The function that closes dead processes' sessions updates the renamed table.
    assert query(blank_url, "SELECT tart_close_orphaned_sessions('0 s')") == [(1,)]
    assert query(blank_url, "SELECT active_sessions, is_connected FROM known_nodes") == [
        (0, False),
        (0, False),
    ]
