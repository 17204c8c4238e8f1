"""Opening PostgreSQL connections, with failures an operator can read in one line."""

import gevent
import psycopg2
import psycopg2.extensions
from psycogreen.gevent import patch_psycopg

from tart.config import TartError

# libpq otherwise waits for the kernel's TCP timeout (minutes) on an unreachable host.
CONNECT_TIMEOUT = 10


class DatabaseUnavailable(TartError):
    """The database URL is malformed, or the server cannot be reached or refuses us."""


def describe(url: str) -> str:
    """Name the database and server of `url` for messages, leaving out the password."""
    dsn = psycopg2.extensions.parse_dsn(url)
    host = dsn.get("host") or "localhost"
    where = f"{host}:{dsn['port']}" if "port" in dsn else host
    return f"database {dsn.get('dbname') or dsn.get('user') or 'postgres'!r} on {where}"


def connect(url: str, **params) -> psycopg2.extensions.connection:
    """Connect to `url`; `params` go to psycopg2.connect (e.g. application_name)."""
    try:
        what = describe(url)
    except psycopg2.ProgrammingError as error:
        raise DatabaseUnavailable(f"not a valid PostgreSQL URL: {first_line(error)}") from None
    params.setdefault("connect_timeout", CONNECT_TIMEOUT)
    params.setdefault("application_name", "tart")
    # libpq's connect_timeout does not bind a connection made asynchronously (green, after
    # make_green()): a frozen server would hold it for ever.
    green = psycopg2.extensions.get_wait_callback() is not None
    unreachable = DatabaseUnavailable(f"no connection within {params['connect_timeout']} s")
    try:
        with gevent.Timeout(params["connect_timeout"] if green else None, unreachable):
            return psycopg2.connect(url, **params)
    except psycopg2.OperationalError as error:
        raise DatabaseUnavailable(f"cannot connect to {what}: {first_line(error)}") from None


def make_green() -> None:
    """Make psycopg2 wait on the server by yielding to other greenlets, not by blocking.

    Call once per gevent process (ingest, each gunicorn worker) before connecting.
    """
    patch_psycopg()


def first_line(error: Exception) -> str:
    """The first line of a psycopg2 error, which is what it says; the rest is context."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
