"""The writer against a real PostgreSQL: a row the database refuses loses none of its batch, and
ids become visible in order while several writers write."""

import time
from types import SimpleNamespace

import gevent
import psycopg2.extensions
from gevent.queue import Queue

from tart.db import EVENTS_CHANNEL
from tart.db.connect import connect, make_green
from tart.ingest.batch import LANES, WRITERS_LOCK
from tart.ingest.connection import Session
from tart.ingest.items import Event, Undecodable
from tart.ingest.stats import IngestStats
from tart.ingest.writer import Writer
from tart.protocol import DecodeError
from tests.support.ingest import finishing_writer, query


def test_a_row_postgresql_refuses_is_kept_as_an_error_and_its_batch_mates_are_stored(database_url):
    queue = _queued_events(database_url, count=10, refused=4)
    stats = IngestStats()
    settings = SimpleNamespace(batch_size=100)
    finishing_writer(queue, database_url, settings, stats).run()

    assert [row[0] for row in query(database_url, "SELECT event_id FROM events ORDER BY id")] == [
        0,
        1,
        2,
        3,
        5,
        6,
        7,
        8,
        9,
    ]
    (error,) = query(
        database_url, "SELECT event_id, discriminator, event_name, raw, reason FROM decode_errors"
    )
    assert error[:3] == (4, 28, "PeerMisbehaved")
    assert bytes(error[3]) == b"frame 4"
    assert error[4].startswith("rejected by PostgreSQL: ")
    assert query(database_url, "SELECT event_count FROM known_nodes") == [(9,)]
    assert query(database_url, "SELECT events_stored, events_undecodable FROM sessions") == [(9, 1)]
    assert stats.events_stored == 9
    assert stats.dropped == {"rejected by database": 1}


def test_a_failed_batch_keeps_the_next_one_waiting_so_ids_follow_the_queue(database_url):
    """Batches 1 and 2 go out on the writer's other connections while batch 0 is still in
    PostgreSQL. Batch 0 fails on a row and is stored again piece by piece; the others must
    still come after."""
    # More than a batch per lane: with a backlog, the next batch goes out without waiting.
    queue = _queued_events(database_url, count=20, refused=2)
    stats = IngestStats()
    make_green()  # so every lane's connection can wait in PostgreSQL at once
    try:
        # A batch per lane reaches PostgreSQL while another writer holds the writers' lock.
        holder = connect(database_url)
        holder.autocommit = True
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (WRITERS_LOCK,))
        writer = gevent.spawn(
            finishing_writer(queue, database_url, SimpleNamespace(batch_size=5), stats).run
        )
        deadline = time.monotonic() + 10
        while query(
            database_url, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        ) != [(LANES,)]:
            assert time.monotonic() < deadline, "the lanes' batches never all waited"
            gevent.sleep(0.01)
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", (WRITERS_LOCK,))
        writer.get(timeout=30)
        holder.close()
    finally:
        psycopg2.extensions.set_wait_callback(None)

    assert [row[0] for row in query(database_url, "SELECT event_id FROM events ORDER BY id")] == [
        slot for slot in range(20) if slot != 2
    ]
    assert query(database_url, "SELECT event_id FROM decode_errors") == [(2,)]
    assert query(database_url, "SELECT event_count FROM known_nodes") == [(19,)]
    assert stats.events_stored == 19 and stats.batches_written == 4


def test_ids_become_visible_in_order_while_two_writers_write(database_url):
    """A batch's rows are analysed before it takes the writers' lock, but the ids they take
    must still commit in order: a reader never sees an id while a smaller one is missing."""
    queues = [
        _queued_events(database_url, count=2000, refused=None, session_id=session_id)
        for session_id in (1, 2)
    ]
    settings = SimpleNamespace(batch_size=20)
    seen = []
    make_green()  # so the writers and the reader wait in PostgreSQL at once
    try:
        writers = [
            gevent.spawn(finishing_writer(queue, database_url, settings, IngestStats()).run)
            for queue in queues
        ]
        reader = connect(database_url)
        reader.autocommit = True
        with reader.cursor() as cur:
            while not all(writer.ready() for writer in writers):
                cur.execute("SELECT count(*), coalesce(max(id) - min(id) + 1, 0) FROM events")
                seen.append(cur.fetchone())
        reader.close()
        gevent.joinall(writers, raise_error=True)
    finally:
        psycopg2.extensions.set_wait_callback(None)

    assert len([count for count, _ in seen if 0 < count < 4000]) >= 20, "too few looks"
    assert [(count, span) for count, span in seen if count != span] == []
    assert query(database_url, "SELECT count(*) FROM events") == [(4000,)]


def test_a_batch_takes_what_queued_while_the_one_before_was_written(database_url):
    """A lone event goes at once, alone; what queues behind it while it is in PostgreSQL (less
    than a batch) waits for its commit and then goes as one batch."""
    source = _queued_events(database_url, count=31, refused=None)
    queue = Queue()
    stats = IngestStats()
    listener = connect(database_url)
    listener.autocommit = True
    with listener.cursor() as cur:
        cur.execute(f"LISTEN {EVENTS_CHANNEL}")
    make_green()
    try:
        holder = connect(database_url)
        holder.autocommit = True
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (WRITERS_LOCK,))
        settings = SimpleNamespace(batch_size=100)
        writer = Writer(queue, lambda: connect(database_url), settings, stats)
        running = gevent.spawn(writer.run)
        queue.put(source.get())
        _wait_for_batches_waiting(database_url, 1)
        for _ in range(30):
            queue.put(source.get())
        gevent.sleep(0.3)
        assert _batches_waiting(database_url) == 1, "sent before the batch ahead committed"
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", (WRITERS_LOCK,))
        writer.stop()
        running.get(timeout=30)
        holder.close()
    finally:
        psycopg2.extensions.set_wait_callback(None)
    listener.poll()
    assert [n.payload for n in listener.notifies] == ["1,1", "2,31"]
    listener.close()
    assert stats.batches_written == 2 and stats.events_stored == 31


def _batches_waiting(database_url):
    return query(
        database_url, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    )[0][0]


def _wait_for_batches_waiting(database_url, count):
    deadline = time.monotonic() + 10
    while _batches_waiting(database_url) != count:
        assert time.monotonic() < deadline, f"{count} batches never waited"
        gevent.sleep(0.01)


def _queued_events(database_url, count, refused, session_id=1):
    """A queue of `count` events of one node's session; PostgreSQL refuses the one
    numbered `refused`. Each frame is b"frame <number>"."""
    node_id = f"{session_id:02x}" * 32
    query(
        database_url,
        "INSERT INTO known_nodes (node_id) VALUES (%s);"
        " INSERT INTO sessions (id, node_id, remote_address)"
        " VALUES (%s, %s, 'test') RETURNING 1",
        (node_id, session_id, node_id),
    )
    session = Session(session_id, "test")
    session.node_id = node_id
    queue = Queue()
    for slot in range(count):
        # JSONB refuses \u0000; the decoder never makes one, so this row stands for any row
        # the database might refuse.
        reason = "bad\x00" if slot == refused else "fine"
        data = {"PeerMisbehaved": {"peer_id": "0x" + "01" * 32, "reason": reason}}
        queue.put(Event(session, slot, 28, 1_000_000, data, time.time(), b"frame %d" % slot))
    return queue


def test_a_frame_refused_even_as_a_decode_error_is_counted_and_the_writer_goes_on(database_url):
    """psycopg2 cannot even send a NUL in text: such a decode error cannot be stored at all."""
    queue = _queued_events(database_url, count=4, refused=None)
    session = queue.peek().session
    unstorable = DecodeError("bad\x00reason", 9, None, 255, None)
    queue.put(Undecodable(session, 4, unstorable, time.time(), b"frame 4"))
    queue.put(Event(session, 5, 28, 1, {"PeerMisbehaved": {"peer_id": "0x", "reason": "ok"}},
                    time.time(), b"frame 5"))  # fmt: skip
    stats = IngestStats()
    finishing_writer(queue, database_url, SimpleNamespace(batch_size=100), stats).run()
    assert [row[0] for row in query(database_url, "SELECT event_id FROM events ORDER BY id")] == [
        0, 1, 2, 3, 5,
    ]  # fmt: skip
    assert query(database_url, "SELECT count(*) FROM decode_errors") == [(0,)]
    assert stats.dropped == {"decode error not storable": 1}
    assert stats.events_stored == 5
