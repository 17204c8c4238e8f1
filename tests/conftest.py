import pytest

from tests.support.db import TestPostgres


@pytest.fixture(scope="session")
def pg():
    """The session's PostgreSQL server: pg.fresh_database(), pg.admin_url."""
    server = TestPostgres()
    yield server
    server.stop()


@pytest.fixture
def database_url(pg):
    """URL of a new, migrated database of its own for this test."""
    url = pg.fresh_database()
    yield url
    pg.drop_database(url)
