"""The conformance counts the writer keeps: valid events by node and kind
(known_nodes.events_by_type), decode errors by node, kind and failure; exact, whatever the
database does."""

import shutil
import time
from types import SimpleNamespace

import psycopg2
import psycopg2.extensions
import pytest
from gevent.queue import Queue

from tart.config import install_root
from tart.db.connect import connect
from tart.db.migrate import migrate, migration_files
from tart.ingest.connection import Session
from tart.ingest.items import Event, Undecodable
from tart.ingest.stats import IngestStats
from tart.ingest.writer import Writer
from tart.protocol import DecodeError
from tests.support.conformance import COUNTED_ERRORS, STORED_ERRORS, wait_until_counted
from tests.support.ingest import query
from tests.support.rows import Rows


def _session(session_id, node_id):
    session = Session(session_id, "test")
    session.node_id = node_id
    return session


def _event(session, discriminator, event_id=0):
    # Kinds other than the block events, whose data the counters read.
    data = {"SyncStatusChanged": {"synced": True}}
    return Event(session, event_id, discriminator, 1, data, time.time(), b"frame")


class _Losing(psycopg2.extensions.cursor):
    """A cursor whose connection is lost once on a statement holding each of LOSE_ON: before
    it reaches the server, or after it ran there (so the writer cannot tell whether it did)."""

    lose = None  # "before" or "after"
    lost = frozenset()
    LOSE_ON = ("INSERT INTO decode_errors", "UPDATE known_nodes AS n SET event_count")

    def execute(self, sql, args=None):
        text = sql.decode() if isinstance(sql, bytes) else sql
        pending = [
            marker for marker in self.LOSE_ON if marker in text and marker not in _Losing.lost
        ]
        if pending and self.lose == "before":
            self._lose(pending)
        super().execute(sql, args)
        if pending and self.lose == "after":
            self._lose(pending)

    def _lose(self, markers):
        _Losing.lost = _Losing.lost | set(markers)
        self.connection.close()
        raise psycopg2.OperationalError("server closed the connection unexpectedly")


@pytest.mark.parametrize("lose", ["before", "after"])
def test_counts_are_exact_when_a_connection_is_lost_around_a_commit(database_url, lose):
    node_id = "cc" * 32
    query(
        database_url,
        "INSERT INTO known_nodes (node_id) VALUES (%s);"
        " INSERT INTO sessions (id, node_id, remote_address) VALUES (7, %s, 'test') RETURNING 1",
        (node_id, node_id),
    )
    session = _session(7, node_id)
    queue = Queue()
    for n in range(300):
        if n % 10 == 3:  # 30 of the 150 odd ones
            error = DecodeError(f"bool must be 0 or 1, got 0x0{n % 3 + 2}", 9, "S.synced", 13, "S")
            queue.put(Undecodable(session, n, error, time.time(), b"frame %d" % n))
        else:
            queue.put(_event(session, 13 if n % 2 else 20, n))
    _Losing.lose, _Losing.lost = lose, frozenset()
    stats = IngestStats()
    writer = Writer(
        queue,
        lambda: connect(database_url, cursor_factory=_Losing),
        SimpleNamespace(batch_size=50),
        stats,
    )
    writer.stop()
    writer.run()

    assert _Losing.lost == set(_Losing.LOSE_ON), "the faults did not happen"
    assert stats.writer_errors == 2
    assert query(database_url, "SELECT count(*) FROM events") == [(270,)]
    valid, errors = wait_until_counted(database_url, timeout=5)
    assert valid == {(node_id, 20, 150), (node_id, 13, 120)}
    assert {row[4:6] for row in errors} == {
        ("bool must be 0 or 1, got 0x02", 10),
        ("bool must be 0 or 1, got 0x03", 10),
        ("bool must be 0 or 1, got 0x04", 10),
    }


def test_the_migration_counts_the_decode_errors_stored_before_it(pg, tmp_path):
    url = pg.fresh_database(migrated=False)
    try:
        before = tmp_path / "schema"
        before.mkdir()
        for path in migration_files(install_root() / "schema"):
            if path.name < "020":
                shutil.copy(path, before)
        migrate(url, before)
        with Rows(url) as rows:
            for n in range(2):
                node_id = f"{n:064x}"
                # As written before 027, when the table of nodes was `nodes`.
                (session,) = rows.sql(
                    "INSERT INTO nodes (node_id) VALUES (%s); INSERT INTO sessions (node_id,"
                    " remote_address) VALUES (%s, 'test') RETURNING id",
                    (node_id, node_id),
                )[0]
                rows.sql(
                    "INSERT INTO decode_errors (node_id, session_id, discriminator, field_path,"
                    " byte_offset, raw, reason) VALUES (%s, %s, 13, 'S.synced', 9, '\\x02', 'bad'),"
                    " (%s, %s, 13, 'S.synced', 9, '\\x03', 'bad'), (NULL, NULL, NULL, NULL, 0,"
                    " '\\x00', 'node information')",
                    (node_id, session, node_id, session),
                )

        migrate(url)

        counted = set(query(url, COUNTED_ERRORS))
        assert counted == set(query(url, STORED_ERRORS))
        assert sorted(row[:2] + row[4:6] for row in counted) == [
            (f"{0:064x}", 13, "bad", 2),
            (f"{1:064x}", 13, "bad", 2),
        ]
    finally:
        pg.drop_database(url)
