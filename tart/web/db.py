"""Each web worker's small pool of PostgreSQL connections, shared by its greenlets.

gunicorn's post_fork makes psycopg2 green (psycogreen), so a greenlet waiting on a query yields
to the others, as does one waiting for a free connection (a gevent semaphore). The API only
reads, so connections run in autocommit: no transaction stays open between requests, and a
query can be retried on another connection.

A request never waits long for the database: a free connection within ACQUIRE_TIMEOUT, a new
one within CONNECT_TIMEOUT, an answer within STATEMENT_TIMEOUT (cancelled by the server) or
ANSWER_TIMEOUT (given up by the worker, for a server that does not even cancel: stopped,
frozen, cut off). Each ends in DatabaseUnavailable, which the API answers with a 503.

The API's statements are prepared once per connection and then only executed, with a generic
plan: planning a query over the ~30 daily partitions of `events` takes longer than running it.
"""

import contextlib
import hashlib

import gevent
import gevent.lock
import psycopg2
from flask import current_app

from tart.db.connect import DatabaseUnavailable, connect
from tart.web.metrics import web_pool_connections

# Enough for the ~10 requests per worker a busy API sees at once; more only queue here
# instead of in PostgreSQL, which 2+ workers and the ingest processes share.
POOL_SIZE = 10
# Requests should fail fast rather than hang when the database host does not answer.
CONNECT_TIMEOUT = 3
# How long a request waits for one of the pool's connections before giving up with a 503.
ACQUIRE_TIMEOUT = 5
# A safety net: no API query should take this long; a runaway one is cancelled by the server...
STATEMENT_TIMEOUT = 5
# ...and one whose server does not answer at all is abandoned, its connection closed.
ANSWER_TIMEOUT = STATEMENT_TIMEOUT + 1
SESSION_SETTINGS = {
    "statement_timeout": f"{STATEMENT_TIMEOUT}s",
    # Every query is a keyset walk down an index whatever its arguments, so one plan fits all.
    "plan_cache_mode": "force_generic_plan",
    # Times come back in UTC, as the API shows them.
    "TimeZone": "UTC",
    # The analytics group a day of minute counts (~300,000 rows) into ~10,000 (node, step)
    # sums: with the default 4MB the planner sorts them on disk instead of hashing them.
    "work_mem": "16MB",
    # An analytics page renewed in the background must leave a core to the requests meanwhile.
    "max_parallel_workers_per_gather": "0",
}


class Pool:
    """At most `size` connections to `url`, opened on demand and reused, newest first."""

    def __init__(self, url: str | None, size: int = POOL_SIZE):
        self.url = url
        self._idle = []
        self._slots = gevent.lock.BoundedSemaphore(size)

    def query(self, sql: str, params=None) -> list[tuple]:
        """Run one read-only statement with psycopg2's placeholders (%s, %(name)s); its rows.

        A connection that sat idle may have been closed by a database restart; the statement
        then runs once more on a new connection instead of failing the request.
        """
        return self._with_retry(lambda session: session.execute(sql, params))

    def query_one(self, sql: str, params=None) -> tuple | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def prepared(self, sql: str, args=()) -> list[tuple]:
        """Like query(), for a statement with $1, $2, ... standing for `args`, which is prepared
        once per connection and then reused: the API's frequent statements."""
        return self._with_retry(lambda session: session.execute_prepared(sql, args))

    def prepared_one(self, sql: str, args=()) -> tuple | None:
        rows = self.prepared(sql, args)
        return rows[0] if rows else None

    def _with_retry(self, run):
        with self._slot():
            silent = DatabaseUnavailable(f"the database did not answer within {ANSWER_TIMEOUT} s")
            with gevent.Timeout(ANSWER_TIMEOUT, silent):
                session, reused = self._take()
                try:
                    return self._run(session, run)
                except psycopg2.Error:
                    if not (reused and session.conn.closed):
                        raise
                return self._run(self._open(), run)

    @contextlib.contextmanager
    def _slot(self):
        if not self._slots.acquire(timeout=ACQUIRE_TIMEOUT):
            raise DatabaseUnavailable(
                f"all {POOL_SIZE} database connections of this worker stayed busy for "
                f"{ACQUIRE_TIMEOUT} s"
            )
        try:
            yield
        finally:
            self._slots.release()

    def _take(self):
        if self._idle:
            return self._idle.pop(), True
        return self._open(), False

    def _open(self):
        if not self.url:
            raise DatabaseUnavailable("DATABASE_URL is not set")
        options = " ".join(f"-c {name}={value}" for name, value in SESSION_SETTINGS.items())
        conn = connect(
            self.url,
            application_name="tart web",
            options=options,
            connect_timeout=CONNECT_TIMEOUT,
        )
        conn.autocommit = True
        web_pool_connections.inc()
        return _Session(conn)

    def _run(self, session, run):
        """run(session), then keep the session for reuse unless the failure closed it."""
        try:
            rows = run(session)
        except psycopg2.Error:
            if session.conn.closed:
                self._discard(session)
            else:
                self._idle.append(session)  # autocommit: an error leaves no transaction behind
            raise
        except BaseException:
            self._discard(session)  # e.g. the greenlet was killed mid-query: state unknown
            raise
        self._idle.append(session)
        return rows

    @staticmethod
    def _discard(session):
        if not session.conn.closed:
            session.conn.close()
        web_pool_connections.dec()


class _Session:
    """A connection and the statements prepared on it."""

    __slots__ = ("conn", "prepared")

    def __init__(self, conn):
        self.conn = conn
        self.prepared = set()

    def execute(self, sql, params):
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    def execute_prepared(self, sql, args):
        name = "tart_" + hashlib.sha1(sql.encode()).hexdigest()[:16]
        with self.conn.cursor() as cur:
            if name not in self.prepared:
                cur.execute(f"PREPARE {name} AS {sql}")
                self.prepared.add(name)
            if args:
                cur.execute(f"EXECUTE {name} ({', '.join(['%s'] * len(args))})", args)
            else:
                cur.execute(f"EXECUTE {name}")
            return cur.fetchall()


def init_app(app) -> None:
    app.extensions["tart_db"] = Pool(app.config["TART_SETTINGS"].database_url)


def pool() -> Pool:
    """The current application's pool."""
    return current_app.extensions["tart_db"]
