"""One embedded PostgreSQL server for the whole test session, and a fresh database per test.

Migrating takes a while, so the schema is applied once to a template database; each test's
database is then a copy of it (CREATE DATABASE ... TEMPLATE), which takes a fraction of a second.
"""

import contextlib
import itertools
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import psutil

from tart.db.connect import connect
from tart.db.embedded import EmbeddedPostgres
from tart.db.migrate import migrate

TEMPLATE = "tart_template"


def with_database(url: str, name: str) -> str:
    """`url` pointing at database `name` instead."""
    return urlsplit(url)._replace(path=f"/{name}").geturl()


class TestPostgres:
    """An embedded PostgreSQL server in a temporary directory, tuned for tests."""

    __test__ = False  # a helper, not a test class

    def __init__(self):
        self.data_dir = Path(tempfile.mkdtemp(prefix="tart-tests-"))
        self.server = EmbeddedPostgres(self.data_dir)
        self.admin_url = with_database(self.server.start(), "postgres")
        self._names = itertools.count(1)
        # Test data need not survive a crash; skipping fsync makes each test's writes cheap.
        self._admin(
            "ALTER SYSTEM SET fsync = off",
            "ALTER SYSTEM SET synchronous_commit = off",
            "SELECT pg_reload_conf()",
            f"CREATE DATABASE {TEMPLATE}",
        )
        migrate(with_database(self.admin_url, TEMPLATE))

    def fresh_database(self, migrated: bool = True) -> str:
        """Create a new database, with TART's schema unless `migrated` is False; return its URL."""
        name = f"test_{next(self._names)}"
        self._admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE if migrated else 'template0'}")
        return with_database(self.admin_url, name)

    def drop_database(self, url: str) -> None:
        """Drop the database of `url`, disconnecting whatever still uses it."""
        name = urlsplit(url).path.lstrip("/")
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        self.server.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def _admin(self, *statements: str) -> None:
        conn = connect(self.admin_url)
        conn.autocommit = True  # CREATE/DROP DATABASE and ALTER SYSTEM refuse transactions
        try:
            with conn.cursor() as cur:
                for statement in statements:
                    cur.execute(statement)
        finally:
            conn.close()


class FaultyPostgres(TestPostgres):
    """A server of its own for the tests that stop, restart, freeze or write-protect it (the
    session's server is shared by every other test)."""

    def restart(self) -> None:
        """Fast shutdown (sessions ended), then start again at the same address."""
        self.server.stop()
        self.server.start()

    def start(self) -> None:
        self.server.start()

    def halt(self) -> None:
        self.server.stop()

    def read_only(self, on: bool) -> None:
        """Every transaction read-only from now on (or no longer), in every session."""
        value = "on" if on else "off"
        self._admin(
            "SET default_transaction_read_only = off",
            f"ALTER SYSTEM SET default_transaction_read_only = {value}",
            "SELECT pg_reload_conf()",
        )

    def processes(self) -> list:
        """The server's processes: the postmaster and its children."""
        postmaster = self._postmaster()
        return [postmaster, *postmaster.children()]

    def freeze(self) -> None:
        """Stop every process of the server (SIGSTOP): it neither answers nor refuses. The
        postmaster first, so that it starts none meanwhile."""
        postmaster = self._postmaster()
        postmaster.suspend()
        _signal_each(postmaster.children(), psutil.Process.suspend)

    def thaw(self) -> None:
        _signal_each(self.processes(), psutil.Process.resume)

    def _postmaster(self):
        return psutil.Process(int((self.server.pgdata / "postmaster.pid").read_text().split()[0]))


def _signal_each(processes, signal) -> None:
    """signal(process) for each process still there: a backend whose client has just gone
    may end before its turn."""
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            signal(process)
