"""Applying the numbered SQL migrations in schema/ (NNN_name.sql), each exactly once.

Each file runs in its own transaction together with its row in schema_migrations, so a failed
migration leaves nothing behind. An advisory lock lets several processes (a release step, a
systemd ExecStartPre, `tart run`) migrate the same database at once: one applies, the others
wait and then find nothing left to do.
"""

import re
from pathlib import Path

import psycopg2.extensions

from tart.config import TartError, install_root
from tart.db.connect import connect, first_line

MIGRATION_FILE = re.compile(r"^(\d{3})_\w+\.sql$")
# Any constant works; it only has to differ from the other advisory locks TART takes.
MIGRATION_LOCK = 7461727400


def migration_files(schema_dir: Path) -> list[Path]:
    """The migrations in `schema_dir`, in the order they apply."""
    files = sorted(p for p in schema_dir.iterdir() if MIGRATION_FILE.match(p.name))
    numbers = [MIGRATION_FILE.match(p.name)[1] for p in files]
    duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
    if duplicates:
        raise TartError(f"{schema_dir} has several migrations numbered {', '.join(duplicates)}")
    return files


def migrate(conn_or_url, schema_dir: Path | None = None) -> list[str]:
    """Apply the migrations not yet applied; return the versions (file stems) it applied."""
    schema_dir = schema_dir or install_root() / "schema"
    if not schema_dir.is_dir():
        raise TartError(f"schema directory {schema_dir} not found")
    files = migration_files(schema_dir)
    if isinstance(conn_or_url, psycopg2.extensions.connection):
        conn = conn_or_url
        autocommit, conn.autocommit = conn.autocommit, False  # the lock needs transactions
        try:
            return _apply(conn, files)
        finally:
            conn.autocommit = autocommit
    conn = connect(conn_or_url)
    try:
        return _apply(conn, files)
    finally:
        conn.close()


def _apply(conn, files: list[Path]) -> list[str]:
    applied = []
    with conn, conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        cur.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version text PRIMARY KEY,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
    for path in files:
        version = path.stem
        with conn:  # one transaction per migration: commit on success, roll back on error
            with conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                cur.execute("SELECT 1 FROM schema_migrations WHERE version = %s", (version,))
                if cur.fetchone():
                    continue
                try:
                    cur.execute(path.read_text())
                except psycopg2.Error as error:
                    raise TartError(f"migration {path.name} failed: {first_line(error)}") from None
                cur.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
        applied.append(version)
    return applied
