"""The writer against a real PostgreSQL: a row the database refuses loses none of its batch."""
import time
from types import SimpleNamespace

from gevent.queue import Queue

from tart.db.connect import connect
from tart.ingest.connection import Session
from tart.ingest.stats import IngestStats
from tart.ingest.writer import STOP, Event, Writer
from tests.support.ingest import query


def test_a_row_postgresql_refuses_is_kept_as_an_error_and_its_batch_mates_are_stored(
        database_url):
    node_id = "ab" * 32
    query(database_url, "INSERT INTO nodes (node_id) VALUES (%s);"
                        " INSERT INTO sessions (id, node_id, remote_address)"
                        " VALUES (1, %s, 'test') RETURNING 1", (node_id, node_id))
    session = Session(1, "test")
    session.node_id = node_id
    queue = Queue()
    for slot in range(10):
        # JSONB refuses \u0000; the decoder never makes one, so this row stands for any row
        # the database might refuse.
        reason = "bad\x00" if slot == 4 else "fine"
        data = {"PeerMisbehaved": {"peer_id": "0x" + "01" * 32, "reason": reason}}
        queue.put(Event(session, slot, 28, 1_000_000, data, time.time(), b"frame %d" % slot))
    queue.put(STOP)
    stats = IngestStats()
    settings = SimpleNamespace(batch_size=100, flush_ms=5)
    Writer(queue, lambda: connect(database_url), settings, stats).run()

    assert [row[0] for row in query(database_url, "SELECT event_id FROM events ORDER BY id")] \
        == [0, 1, 2, 3, 5, 6, 7, 8, 9]
    (error,) = query(database_url, "SELECT event_id, discriminator, event_name, raw, reason"
                                   " FROM decode_errors")
    assert error[:3] == (4, 28, "PeerMisbehaved")
    assert bytes(error[3]) == b"frame 4"
    assert error[4].startswith("rejected by PostgreSQL: ")
    assert query(database_url, "SELECT event_count FROM nodes") == [(9,)]
    assert query(database_url, "SELECT events_stored, events_undecodable FROM sessions") \
        == [(9, 1)]
    assert stats.events_stored == 9
    assert stats.dropped == {"rejected by database": 1}
