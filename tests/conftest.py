import dataclasses
from pathlib import Path

import pytest

from tart.config import Settings
from tart.web import create_app
from tests.support.db import TestPostgres
from tests.support.rows import Rows

# pytest's cache key for how long each scope (see _scope) took when it last ran.
SCOPE_SECONDS = "tart/scope-seconds"


def _scope(config, nodeid: str) -> str:
    """The unit `make test` gives one worker: the test's file, or its package if the package
    has a conftest.py of its own (tests/dash: its fixtures, a loadgen network, are shared)."""
    path = nodeid.split("::", 1)[0]
    package = (config.rootpath / path).parent
    if package != Path(__file__).parent and (package / "conftest.py").exists():
        return str(package)
    return path


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: plain pytest has no such hook
def pytest_xdist_make_scheduler(config, log):
    """`make test` (pytest-xdist, --dist loadfile) runs each scope's tests on one worker, so
    that a module's shared servers start once. pytest-xdist starts the scopes with the most
    tests first; the slowest first is better: a slow file of few tests would otherwise start
    last and leave the other workers idle while it runs. So the scopes that took longest
    last time (pytest's cache) start first; those never timed follow in xdist's order."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    seconds = config.cache.get(SCOPE_SECONDS, {}) if getattr(config, "cache", None) else {}

    class SlowestFirst(LoadFileScheduling):
        ordered = False

        def _split_scope(self, nodeid: str) -> str:
            return _scope(config, nodeid)

        def _assign_work_unit(self, node) -> None:
            if not self.ordered:
                self.ordered = True
                queue = sorted(self.workqueue.items(), key=lambda unit: -seconds.get(unit[0], 0))
                self.workqueue.clear()
                self.workqueue.update(queue)
            super()._assign_work_unit(node)

    return SlowestFirst(config, log)


class ScopeTimes:
    """Adds up each scope's setup, call and teardown times and keeps them in pytest's cache for
    the next run's order (in a pytest-xdist run the controller sees every worker's reports)."""

    def __init__(self, config):
        self.config = config
        self.seconds = {}

    def pytest_runtest_logreport(self, report):
        scope = _scope(self.config, report.nodeid)
        self.seconds[scope] = self.seconds.get(scope, 0.0) + report.duration

    def pytest_sessionfinish(self):
        if self.seconds:
            known = self.config.cache.get(SCOPE_SECONDS, {})
            self.config.cache.set(SCOPE_SECONDS, {**known, **self.seconds})


def pytest_configure(config):
    if getattr(config, "cache", None) is not None and not hasattr(config, "workerinput"):
        config.pluginmanager.register(ScopeTimes(config), "tart-scope-times")


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
    def page(key, render, lifetime, until_commit, subject=None):
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
