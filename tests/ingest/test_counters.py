"""Node and session counters: added up in memory, written a share at a time."""

import time
from types import SimpleNamespace

import gevent
from gevent.queue import Queue

from tart.db.connect import connect
from tart.ingest.connection import Session
from tart.ingest.counters import Counters
from tart.ingest.items import Event, Undecodable
from tart.ingest.stats import IngestStats
from tart.ingest.writer import Writer
from tests.support.ingest import query, running_ingest, wait_for_rows
from tests.support.node import TelemetryNode, best_block


def _session(session_id, node_id):
    session = Session(session_id, "test")
    session.node_id = node_id
    return session


def _best(session, slot, received):
    data = {"BestBlockChanged": {"slot": slot, "hash": f"0x{slot:064x}"}}
    return Event(session, slot, 11, 0, data, received, b"")


def _status(session, received):
    return Event(session, 0, 10, 0, {"Status": {}}, received, b"")


def test_a_batch_counts_per_session_and_keeps_each_nodes_latest():
    a, b = _session(1, "aa" * 32), _session(2, "bb" * 32)
    anonymous = _session(3, None)  # its node information never decoded
    events = [_best(a, 5, 100.0), _status(b, 101.0), _best(a, 6, 102.0), _status(a, 103.0)]
    errors = [Undecodable(a, 9, None, 104.0, b""), Undecodable(anonymous, None, None, 105.0, b"")]
    counters = Counters.of_batch(events, errors)
    node_a, node_b = counters.nodes["aa" * 32], counters.nodes["bb" * 32]
    assert (node_a.stored, node_a.seen, node_a.best) == (3, 103.0, (6, f"0x{6:064x}"))
    assert (node_b.stored, node_b.seen, node_b.best) == (1, 101.0, None)
    assert node_a.sessions == {a: [3, 1, 103.0]}
    assert counters.nodes[None].sessions == {anonymous: [0, 1, None]}
    assert (node_a.by_type, node_a.undecodable) == ({11: 2, 10: 1}, 1)
    assert (node_b.by_type, node_b.undecodable) == ({10: 1}, 0)
    sql = counters.sql()
    # Sessions in id order, each with its latest event's time (none: NULL, and the same type).
    assert "VALUES (1,3,1,103.0::float8),(2,1,0,101.0::float8),(3,0,1,NULL::float8)" in sql
    assert f"""('{"aa" * 32}',3,'{{"11":2,"10":1}}'::jsonb,1,103.0,6::bigint""" in sql
    assert "None" not in sql


def test_later_counts_add_up_and_replace_blocks_and_the_oldest_are_taken_first():
    a, b, c = (_session(n, f"{n:02x}" * 32) for n in (1, 2, 3))
    pending = Counters.of_batch([_best(a, 5, 10.0), _status(b, 11.0)], [])
    pending.add(Counters.of_batch([_status(c, 12.0), _status(a, 9.0)], []))
    node_a = pending.nodes[a.node_id]
    assert (node_a.stored, node_a.seen, node_a.best[0]) == (2, 10.0, 5)
    assert node_a.sessions == {a: [2, 0, 10.0]}  # its session's latest event, as the node's
    pending.add(Counters.of_batch([_best(a, 7, 13.0)], []))
    assert (node_a.stored, node_a.seen, node_a.best[0]) == (3, 13.0, 7)
    assert node_a.sessions == {a: [3, 0, 13.0]}
    first = pending.take(0.5)  # two of three, rounded up: the two pending longest
    assert list(first.nodes) == [a.node_id, b.node_id]
    assert list(pending.nodes) == [c.node_id]
    assert not pending.take(0.0) and list(pending.take(5.0).nodes) == [c.node_id]
    assert not pending


def test_counters_reach_the_database_while_events_never_stop(database_url):
    node_id = "cd" * 32
    query(
        database_url,
        "INSERT INTO known_nodes (node_id) VALUES (%s);"
        " INSERT INTO sessions (id, node_id, remote_address)"
        " VALUES (1, %s, 'test') RETURNING 1",
        (node_id, node_id),
    )
    session = _session(1, node_id)
    queue = Queue()
    writing = Writer(
        queue,
        lambda: connect(database_url),
        SimpleNamespace(batch_size=100),
        IngestStats(),
    )
    writer = gevent.spawn(writing.run)
    # An event every 10 ms: the queue never stays quiet long enough for the counters alone.
    seen_while_busy = []
    for slot in range(300):
        queue.put(_best(session, slot, time.time()))
        gevent.sleep(0.01)
        if slot % 50 == 49:
            seen_while_busy.append(query(database_url, "SELECT event_count FROM known_nodes")[0][0])
    writing.stop()
    writer.join(timeout=30)
    assert writer.successful()
    assert any(0 < count < 300 for count in seen_while_busy), seen_while_busy
    assert query(database_url, "SELECT event_count, best_slot FROM known_nodes") == [(300, 299)]
    assert query(database_url, "SELECT events_stored FROM sessions") == [(300,)]


def test_counts_by_type_and_undecodable_frames_add_up_in_the_nodes_row(database_url):
    node_id, quiet_id = "ab" * 32, "ba" * 32
    query(
        database_url,
        "INSERT INTO known_nodes (node_id) VALUES (%s), (%s); INSERT INTO sessions (id, node_id,"
        " remote_address) VALUES (1, %s, 'test'), (2, %s, 'test') RETURNING 1",
        (node_id, quiet_id, node_id, quiet_id),
    )
    session, quiet = _session(1, node_id), _session(2, quiet_id)
    for events, errors in (
        (
            [_best(session, 1, 1.0), _status(session, 2.0)],
            [Undecodable(session, 2, None, 3.0, b"")],
        ),
        ([_status(session, 4.0), _status(session, 5.0)], []),
        # A node whose frames all failed to decode is counted too.
        ([], [Undecodable(quiet, 0, None, 6.0, b""), Undecodable(quiet, 1, None, 7.0, b"")]),
    ):
        query(database_url, Counters.of_batch(events, errors).sql() + " RETURNING 1")
    assert query(
        database_url,
        "SELECT node_id, events_by_type, events_undecodable FROM known_nodes ORDER BY 1",
    ) == [(node_id, {"10": 3, "11": 1}, 1), (quiet_id, {}, 2)]


def _best_timed(session, slot, timestamp):
    data = {"BestBlockChanged": {"slot": slot, "hash": f"0x{slot:064x}"}}
    return Event(session, slot, 11, timestamp, data, time.time(), b"")


def test_a_block_the_node_timed_earlier_does_not_replace_a_later_one(database_url):
    """A reconnecting node's old connection may be read after its new one: its last block
    arrives late, but the node's own clock says it is older."""
    node_id = "ef" * 32
    query(
        database_url,
        "INSERT INTO known_nodes (node_id) VALUES (%s); INSERT INTO sessions (id, node_id,"
        " remote_address) VALUES (1, %s, 'old'), (2, %s, 'new') RETURNING 1",
        (node_id, node_id, node_id),
    )
    old, new = _session(1, node_id), _session(2, node_id)
    in_one_batch = Counters.of_batch([_best_timed(new, 3, 2_000), _best_timed(old, 1, 1_000)], [])
    assert in_one_batch.nodes[node_id].best == (3, f"0x{3:064x}")
    queue = Queue()
    writing = Writer(
        queue, lambda: connect(database_url), SimpleNamespace(batch_size=1),
        IngestStats(),
    )  # fmt: skip
    writer = gevent.spawn(writing.run)
    queue.put(_best_timed(new, 3, 2_000))
    gevent.sleep(0.3)  # committed, counters written on their own
    queue.put(_best_timed(old, 1, 1_000))
    writing.stop()
    writer.join(timeout=30)
    assert writer.successful()
    assert query(
        database_url, "SELECT best_slot, best_timestamp, event_count FROM known_nodes"
    ) == [(3, 2_000, 2)]


def test_a_running_ingest_counts_each_nodes_events_by_type_and_its_garbage(database_url):
    with running_ingest(database_url) as (host, port, _):
        with TelemetryNode(host, port) as node, TelemetryNode(host, port) as other:
            for slot in range(3):
                node.send(best_block(slot))
            node.send({"ConnectionRefused": {"from": {"address": "10.0.0.1", "port": 1}}})
            node.send_raw(node.encode(best_block(9))[:8] + b"\xff")  # no event has 255
            other.send(best_block(1))
            wait_for_rows(
                database_url,
                "SELECT sum(event_count) + sum(events_undecodable) FROM known_nodes",
                6,
            )
        # Written about once a second, like the other counts.
        wait_for_rows(
            database_url,
            "SELECT sum((counters->'events_stored_by_type'->>'11')::int) FROM ingest_stats",
            4,
        )
    counted = query(
        database_url, "SELECT node_id, events_by_type, events_undecodable FROM known_nodes"
    )
    assert {node_id: (by_type, garbage) for node_id, by_type, garbage in counted} == {
        node.node_id: ({"11": 3, "20": 1}, 1),
        other.node_id: ({"11": 1}, 0),
    }
    (by_type,) = query(database_url, "SELECT counters->'events_stored_by_type' FROM ingest_stats")
    assert by_type == ({"11": 4, "20": 1},)
