"""The web worker's connection pool against a real PostgreSQL."""

import psycopg2
import pytest

from tart.db.connect import DatabaseUnavailable
from tart.web.db import Pool
from tests.support.rows import Rows


def backends(url):
    with Rows(url) as rows:
        return rows.sql(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'tart web' "
            "AND datname = current_database()"
        )


def test_connections_are_reused_and_statements_prepared_once_per_connection(database_url):
    pool = Pool(database_url)
    for slot in range(3):
        assert pool.prepared_one("SELECT $1::int + 1", (slot,)) == (slot + 1,)
    assert pool.query_one("SELECT %s::int * 2", (21,)) == (42,)
    assert len(backends(database_url)) == 1
    prepared = pool.query("SELECT count(*) FROM pg_prepared_statements")
    assert prepared == [(1,)]


def test_the_session_answers_in_utc_with_generic_plans(database_url):
    pool = Pool(database_url)
    assert pool.query_one(
        "SELECT current_setting('TimeZone'), current_setting('plan_cache_mode')"
    ) == ("UTC", "force_generic_plan")


def test_a_failed_statement_leaves_the_connection_usable(database_url):
    pool = Pool(database_url)
    with pytest.raises(psycopg2.errors.DivisionByZero):
        pool.prepared("SELECT 1 / $1::int", (0,))
    assert pool.prepared_one("SELECT 1 / $1::int", (1,)) == (1,)
    assert len(backends(database_url)) == 1


def test_connections_closed_by_the_server_are_replaced_without_failing_a_request(database_url):
    pool = Pool(database_url)
    assert pool.prepared_one("SELECT 1") == (1,)
    (old,) = backends(database_url)
    with Rows(database_url) as rows:
        rows.sql("SELECT pg_terminate_backend(%s)", old)
    assert pool.prepared_one("SELECT 1") == (1,)
    assert backends(database_url) != [old]


def test_an_unreachable_database_is_reported_as_unavailable(pg):
    url = pg.fresh_database()
    pg.drop_database(url)
    with pytest.raises(DatabaseUnavailable, match="does not exist"):
        Pool(url).prepared("SELECT 1")
    with pytest.raises(DatabaseUnavailable, match="DATABASE_URL is not set"):
        Pool(None).prepared("SELECT 1")
