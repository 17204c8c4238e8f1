"""The benchmark's own embedded PostgreSQL: a temporary server, a migrated database per phase."""

import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from tart.db.connect import connect
from tart.db.embedded import EmbeddedPostgres
from tart.db.migrate import migrate

# The seed README's PostgreSQL configuration "for production with 1024 nodes" (max_connections
# aside); everything else, fsync and synchronous_commit included, keeps its default.
SEED_CONFIGURATION = {
    "shared_buffers": "2GB",
    "effective_cache_size": "8GB",
    "work_mem": "16MB",
    "maintenance_work_mem": "512MB",
    "wal_buffers": "16MB",
    "max_wal_size": "4GB",
}
# What decides how fast commits are; printed with the results.
REPORTED_SETTINGS = (
    "server_version",
    "fsync",
    "synchronous_commit",
    "shared_buffers",
    "wal_buffers",
    "max_wal_size",
    "wal_level",
)


class BenchPostgres:
    def __init__(self):
        self.data_dir = Path(tempfile.mkdtemp(prefix="tart-bench-"))
        self.server = EmbeddedPostgres(self.data_dir)
        self.admin_url = None

    def __enter__(self):
        self.admin_url = _with_database(self.server.start(), "postgres")
        for name, value in SEED_CONFIGURATION.items():
            self.execute(f"ALTER SYSTEM SET {name} = '{value}'")
        self.server.stop()  # shared_buffers and wal_buffers take a restart
        self.server.start()
        return self

    def __exit__(self, *exc):
        self.server.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def database(self, name):
        """A new database with TART's schema; its URL."""
        self.execute(f"CREATE DATABASE {name}")
        url = _with_database(self.admin_url, name)
        migrate(url)
        return url

    def settings(self):
        return {name: self.execute(f"SHOW {name}")[0][0] for name in REPORTED_SETTINGS}

    def execute(self, sql):
        conn = connect(self.admin_url)
        conn.autocommit = True  # CREATE DATABASE refuses transactions
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall() if cur.description else None
        finally:
            conn.close()


def _with_database(url, name):
    return urlsplit(url)._replace(path=f"/{name}").geturl()
