"""A real `tart ingest` process for tests, and waiting for what it stores."""

import contextlib
import shutil
import tempfile
import time

import psycopg2

from tart.db.connect import connect
from tart.ingest.writer import Writer
from tests.support.procs import free_port, running, tart, wait_for_port


@contextlib.contextmanager
def running_ingest(database_url, port=None, **env):
    """Run `tart ingest` on 127.0.0.1; yield (host, port, process). ``env``: TART_* overrides
    (e.g. TART_RATE_LIMIT="0"), values converted to strings."""
    port = port or free_port()
    environ = {
        "DATABASE_URL": database_url,
        "TELEMETRY_BIND": f"127.0.0.1:{port}",
        "TART_RATE_LIMIT": "0",
        "TART_LOG_LEVEL": "warning",
    }
    # A data directory of its own: what a stop without the database saves there
    # (tart.ingest.unstored) would otherwise be stored by the next test's ingest.
    own_data_dir = None if "TART_DATA_DIR" in env else tempfile.mkdtemp(prefix="tart-ingest-")
    if own_data_dir:
        environ["TART_DATA_DIR"] = own_data_dir
    environ.update({name: str(value) for name, value in env.items()})
    try:
        with running(tart("ingest"), environ) as process:
            wait_for_port("127.0.0.1", port, process=process)
            yield "127.0.0.1", port, process
    finally:
        if own_data_dir:
            shutil.rmtree(own_data_dir, ignore_errors=True)


def query(database_url, sql, params=()):
    conn = connect(database_url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()
    finally:
        conn.close()


class Poll:
    """Queries that a wait repeats many times a second, on one connection kept open: a new
    connection costs PostgreSQL a backend process, some 10 ms of CPU, a query on an open one a
    fraction of a millisecond. A connection the server dropped (a restart) is opened again."""

    def __init__(self, database_url):
        self.database_url = database_url
        self.conn = None

    def query(self, sql, params=()):
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = connect(self.database_url)
                self.conn.autocommit = True  # each poll sees what was committed since
            try:
                with self.conn.cursor() as cur:
                    cur.execute(sql, params)
                    return cur.fetchall()
            except (psycopg2.OperationalError, psycopg2.InterfaceError):
                self.close()
                if attempt == 2:
                    raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def scalar(database_url, sql, params=()):
    return query(database_url, sql, params)[0][0]


def wait_for_rows(database_url, sql, expected, timeout=30.0, params=()):
    """Poll until ``sql``'s single value equals ``expected``; return it (or fail with the last).
    No row yet counts as None."""
    deadline = time.monotonic() + timeout
    with Poll(database_url) as poll:
        while True:
            rows = poll.query(sql, params)
            value = rows[0][0] if rows else None
            if value == expected:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"{sql!r} gave {value!r}, expected {expected!r}")
            time.sleep(0.05)


def finishing_writer(queue, database_url, settings, stats):
    """A Writer of `queue` to `database_url` whose run() returns once the queue is written."""
    writer = Writer(queue, lambda: connect(database_url), settings, stats)
    writer.stop()
    return writer
