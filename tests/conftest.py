import dataclasses
from pathlib import Path

import pytest

from tart.config import Settings
from tart.web import create_app
from tests.support.db import TestPostgres
from tests.support.rows import Rows


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: plain pytest has no such hook
def pytest_xdist_make_scheduler(config, log):
    """`make test` (pytest-xdist, --dist loadfile) runs each file's tests on one worker, so that
    a module's shared servers start once. A package with a conftest.py of its own shares its
    fixtures among its files (tests/dash: a loadgen network), so its files share a worker too."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class FileOrPackage(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            package = (config.rootpath / path).parent
            if package != Path(__file__).parent and (package / "conftest.py").exists():
                return str(package)
            return path

    return FileOrPackage(config, log)


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


class Unkept:
    """Pages rendered for every request. These tests write rows straight into the database, with
    no commit announced for some, so they must not be answered from kept pages (those have tests
    of their own, in test_page_cache.py)."""

    @staticmethod
    def page(key, render, lifetime, until_commit):
        page = render()
        return page if isinstance(page, bytes) else page.body


@pytest.fixture
def app(database_url):
    app = create_app(dataclasses.replace(Settings(), database_url=database_url))
    app.extensions["tart_pages"] = Unkept()
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def rows(database_url):
    """Writes nodes, sessions, events, decode errors and ingest stats straight into the database."""
    with Rows(database_url) as writer:
        yield writer
