"""The ingest path end to end: real `tart ingest`, real TCP, real PostgreSQL."""

import random
import signal
import socket
import struct
import threading
import time

import pytest

from tart.protocol import EVENTS, NUL_SYMBOL, frame
from tart.protocol.samples import sample
from tart.protocol.types import AccumulateCost
from tests.support.ingest import query, running_ingest, scalar, wait_for_rows
from tests.support.node import TelemetryNode, best_block, peer_id


def test_every_event_kind_is_stored_with_its_id_type_and_data(database_url):
    rng = random.Random(3)
    sent = []
    with running_ingest(database_url) as (host, port, _):
        with TelemetryNode(host, port, core_count=341, name="jamduna", note="n" * 512) as node:
            for discriminator, event in EVENTS.items():
                if discriminator == 0:
                    continue  # Dropped moves IDs; it has a test of its own
                data = {event.event_name: sample(event, 341, rng)}
                node.send(data, timestamp=1_000_000 + discriminator)
                sent.append((discriminator, data))
            wait_for_rows(database_url, "SELECT count(*) FROM events", len(sent))
    rows = query(
        database_url,
        "SELECT event_id, event_type, node_id, data, node_timestamp,"
        " timestamp FROM events ORDER BY id",
    )
    assert len(rows) == 114
    for event_id, ((discriminator, data), row) in enumerate(zip(sent, rows)):
        assert row[:4] == (event_id, discriminator, node.node_id, data)
        assert row[4] == 1_000_000 + discriminator
        assert row[5].isoformat() == f"2025-01-01T12:00:01.{discriminator:06d}+00:00"
    (info,) = query(
        database_url,
        "SELECT implementation_name, implementation_version, gp_version,"
        " note, flags, genesis, params, peer_address, protocol_version,"
        " is_connected, event_count FROM known_nodes",
    )
    assert info[:6] == ("jamduna", "0.1.0", "0.7.1", "n" * 512, 1, "0x" + "11" * 32)
    assert info[6]["core_count"] == 341 and info[6]["layout"] == "0.7"
    assert info[7] == {"address": "127.0.0.1", "port": 30333}
    assert info[8] == 0
    assert info[10] == 114


def test_dropped_shifts_ids_and_a_bad_frame_takes_an_id(database_url):
    with running_ingest(database_url) as (host, port, _), TelemetryNode(host, port) as node:
        node.send(best_block(1))  # id 0
        node.send({"Dropped": {"last_timestamp": 5, "num_dropped": 10}})  # id 1
        node.send(best_block(2))  # id 11
        node.send_raw(struct.pack("<QB", 0, 13) + b"\x61")  # id 12, bad bool
        node.send(best_block(3))  # id 13
        wait_for_rows(database_url, "SELECT count(*) FROM events", 4)
        wait_for_rows(database_url, "SELECT count(*) FROM decode_errors", 1)
    assert [row[0] for row in query(database_url, "SELECT event_id FROM events ORDER BY id")] == [
        0,
        1,
        11,
        13,
    ]
    (error,) = query(
        database_url,
        "SELECT node_id, event_id, discriminator, event_name,"
        " field_path, byte_offset, reason, raw FROM decode_errors",
    )
    assert error[:7] == (
        node.node_id,
        12,
        13,
        "SyncStatusChanged",
        "SyncStatusChanged.synced",
        9,
        "bool must be 0 or 1, got 0x61",
    )
    assert bytes(error[7]) == struct.pack("<QB", 0, 13) + b"\x61"
    assert scalar(database_url, "SELECT events_undecodable FROM sessions") == 1


def test_awkward_but_valid_values_are_stored(database_url):
    reason_128 = "é" * 64
    accumulated = [
        {"service": service, "cost": sample(AccumulateCost, 2)} for service in range(200)
    ]
    with running_ingest(database_url) as (host, port, _):
        with TelemetryNode(host, port, note="x" * 512) as node:
            node.send({"PeerMisbehaved": {"peer_id": peer_id(1), "reason": "a\x00b"}})
            node.send({"PeerMisbehaved": {"peer_id": peer_id(2), "reason": reason_128}})
            node.send({"PeerMisbehaved": {"peer_id": peer_id(3), "reason": "it's a \\ '' \"x\""}})
            node.send(
                {"BlockExecuted": {"authoring_or_importing_id": 0, "accumulated": accumulated}}
            )
            wait_for_rows(database_url, "SELECT count(*) FROM events", 4)
    reasons = query(
        database_url,
        "SELECT data->'PeerMisbehaved'->>'reason' FROM events WHERE event_type = 28 ORDER BY id",
    )
    assert reasons == [(f"a{NUL_SYMBOL}b",), (reason_128,), ("it's a \\ '' \"x\"",)]
    assert (
        scalar(
            database_url,
            "SELECT jsonb_array_length(data->'BlockExecuted'->'accumulated')"
            " FROM events WHERE event_type = 47",
        )
        == 200
    )
    assert scalar(database_url, "SELECT length(note) FROM known_nodes") == 512


def test_fifty_concurrent_nodes(database_url):
    with running_ingest(database_url) as (host, port, _):
        nodes = [TelemetryNode(host, port) for _ in range(50)]
        messages = [
            b"".join(frame(node.encode(best_block(slot))) for slot in range(1000)) for node in nodes
        ]
        threads = [
            threading.Thread(target=node.send_bytes, args=(data,))
            for node, data in zip(nodes, messages)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wait_for_rows(database_url, "SELECT count(*) FROM events", 50_000, timeout=120)
        for node in nodes:
            node.close()
    assert scalar(database_url, "SELECT count(DISTINCT (node_id, event_id)) FROM events") == 50_000
    per_node = query(
        database_url,
        "SELECT count(*), min(event_id), max(event_id),"
        " max((data->'BestBlockChanged'->>'slot')::int)"
        " FROM events GROUP BY node_id",
    )
    assert per_node == [(1000, 0, 999, 999)] * 50
    assert query(database_url, "SELECT DISTINCT event_count FROM known_nodes") == [(1000,)]


def test_reconnecting_node_is_one_node_with_one_session_per_connection(database_url):
    peer = peer_id("reconnects")
    with running_ingest(database_url) as (host, port, _):
        for connection in range(4):
            with TelemetryNode(host, port, peer=peer) as node:
                for slot in range(25):
                    node.send(best_block(connection * 100 + slot))
                wait_for_rows(database_url, "SELECT count(*) FROM events", 25 * (connection + 1))
        wait_for_rows(database_url, "SELECT count(*) FROM sessions WHERE closed_at IS NOT NULL", 4)
    assert scalar(database_url, "SELECT count(*) FROM known_nodes") == 1
    assert query(
        database_url, "SELECT event_count, is_connected, active_sessions FROM known_nodes"
    ) == [(100, False, 0)]
    assert (
        query(database_url, "SELECT events_received, events_stored FROM sessions") == [(25, 25)] * 4
    )


def test_two_connections_with_one_peer_id_are_both_kept(database_url):
    peer = peer_id("twice")
    with running_ingest(database_url) as (host, port, _):
        first, second = TelemetryNode(host, port, peer=peer), TelemetryNode(host, port, peer=peer)
        for slot in range(10):
            first.send(best_block(slot))
            second.send(best_block(slot))
        wait_for_rows(database_url, "SELECT count(*) FROM events", 20)
        # Counters are written about once a second, or when the writer goes quiet.
        wait_for_rows(database_url, "SELECT event_count FROM known_nodes", 20)
        assert query(database_url, "SELECT active_sessions, is_connected FROM known_nodes") == [
            (2, True)
        ]
        first.close()
        wait_for_rows(database_url, "SELECT active_sessions FROM known_nodes", 1)
        assert scalar(database_url, "SELECT is_connected FROM known_nodes") is True
        second.close()
        wait_for_rows(database_url, "SELECT is_connected FROM known_nodes", False)
    assert scalar(database_url, "SELECT count(*) FROM sessions WHERE node_id IS NOT NULL") == 2


def test_connections_beyond_the_cap_are_refused_and_counted(database_url):
    with running_ingest(database_url, TART_MAX_CONNECTIONS=3) as (host, port, _):
        nodes = [TelemetryNode(host, port) for _ in range(3)]
        wait_for_rows(database_url, "SELECT count(*) FROM known_nodes", 3)
        refused = socket.create_connection((host, port))
        refused.settimeout(5)
        assert refused.recv(1) == b""  # closed by the server at once
        refused.close()
        wait_for_rows(
            database_url, "SELECT (counters->>'connections_rejected')::int FROM ingest_stats", 1
        )
        nodes[0].send(best_block(1))
        wait_for_rows(database_url, "SELECT count(*) FROM events", 1)
        for node in nodes:
            node.close()


def test_a_node_over_its_rate_has_the_excess_counted(database_url):
    with running_ingest(database_url, TART_RATE_LIMIT=1, TART_RATE_BURST=50) as (host, port, _):
        with TelemetryNode(host, port) as node:
            node.send_bytes(b"".join(frame(node.encode(best_block(slot))) for slot in range(200)))
            wait_for_rows(
                database_url, "SELECT (counters->>'events_received')::int FROM ingest_stats", 200
            )
        wait_for_rows(database_url, "SELECT count(*) FROM sessions WHERE closed_at IS NOT NULL", 1)
    stored = scalar(database_url, "SELECT count(*) FROM events")
    (session,) = query(
        database_url, "SELECT events_received, events_stored, events_rate_limited FROM sessions"
    )
    assert 50 <= stored <= 55  # the burst, plus what one token a second adds meanwhile
    assert session == (200, stored, 200 - stored)
    # Rate-limited events still take their JIP-3 IDs: the stored ones keep theirs.
    assert scalar(database_url, "SELECT max(event_id) FROM events") < 200


@pytest.mark.parametrize(
    "misbehaviour,reason",
    [
        ("silent", "no node information within 1 s"),
        ("oversize", "frame of 2000 bytes exceeds TART_MAX_FRAME (1000)"),
        ("garbage", "bad node information"),
    ],
)
def test_broken_connections_are_closed_and_recorded(database_url, misbehaviour, reason):
    with (
        running_ingest(database_url, TART_HANDSHAKE_TIMEOUT=1, TART_MAX_FRAME=1000) as (
            host,
            port,
            _,
        ),
        TelemetryNode(host, port) as good,
    ):
        bad = TelemetryNode(host, port, handshake=misbehaviour == "oversize")
        if misbehaviour == "oversize":
            bad.send_bytes(struct.pack("<I", 2000) + b"\x00" * 2000)
        elif misbehaviour == "garbage":
            bad.send_raw(b"GET / HTTP/1.1\r\nHost: tart\r\n\r\n")
        bad.sock.settimeout(5)
        assert bad.sock.recv(1) == b""
        bad.close()
        good.send(best_block(7))
        wait_for_rows(database_url, "SELECT count(*) FROM events", 1)
        wait_for_rows(database_url, "SELECT count(*) FROM sessions WHERE closed_at IS NOT NULL", 1)
    closed = scalar(
        database_url,
        "SELECT close_reason FROM sessions WHERE node_id IS DISTINCT"
        " FROM %s AND closed_at IS NOT NULL ORDER BY id LIMIT 1",
        (good.node_id,),
    )
    assert closed.startswith(reason)
    if misbehaviour == "garbage":
        (error,) = query(database_url, "SELECT field_path, reason, raw FROM decode_errors")
        assert error[0].startswith("NodeInformation")
        assert bytes(error[2]).startswith(b"GET / HTTP")


def test_a_silent_node_is_closed_after_the_idle_timeout_and_a_talking_one_is_not(database_url):
    with running_ingest(database_url, TART_IDLE_TIMEOUT=2) as (host, port, _):
        with TelemetryNode(host, port) as talking, TelemetryNode(host, port) as silent:
            started = time.monotonic()
            for slot in range(8):  # talks for 4 s, twice the idle timeout
                talking.send(best_block(slot))
                time.sleep(0.5)
            silent.sock.settimeout(5)
            assert silent.sock.recv(1) == b""
            assert 2 <= time.monotonic() - started <= 6
            wait_for_rows(database_url, "SELECT count(*) FROM events", 8)
            wait_for_rows(
                database_url, "SELECT count(*) FROM sessions WHERE closed_at IS NOT NULL", 1
            )
            (reason,) = query(
                database_url, "SELECT close_reason FROM sessions WHERE closed_at IS NOT NULL"
            )[0]
            assert reason == "idle for 2 s"
            assert (
                scalar(database_url, "SELECT node_id FROM sessions WHERE closed_at IS NULL")
                == talking.node_id
            )


def test_sigterm_stores_everything_already_sent(database_url):
    count = 20_000
    with running_ingest(database_url, TART_QUEUE_SIZE=count) as (
        host,
        port,
        process,
    ):
        node = TelemetryNode(host, port)
        node.send_bytes(b"".join(frame(node.encode(best_block(slot))) for slot in range(count)))
        # Wait until the process has read them all (stats are reported once a second) ...
        wait_for_rows(
            database_url, "SELECT (counters->>'events_received')::int FROM ingest_stats", count
        )
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0
        node.close()
    assert scalar(database_url, "SELECT count(*) FROM events") == count
    assert query(
        database_url, "SELECT closed_at IS NOT NULL, close_reason, events_stored FROM sessions"
    ) == [(True, "drained at shutdown", count)]
    assert scalar(database_url, "SELECT is_connected FROM known_nodes") is False


def test_sigterm_drains_what_is_still_in_the_socket(database_url):
    count = 20_000
    with running_ingest(database_url) as (host, port, process):
        node = TelemetryNode(host, port)
        node.send_bytes(b"".join(frame(node.encode(best_block(slot))) for slot in range(count)))
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0
        node.close()
    assert scalar(database_url, "SELECT count(*) FROM events") == count


def test_partitions_are_kept_ahead_and_dropped_after_retention(database_url):
    with running_ingest(database_url, TART_PARTITIONS_AHEAD=5, TART_RAW_RETENTION_DAYS=30):
        pass
    with running_ingest(database_url, TART_RAW_RETENTION_DAYS=30):
        pass  # once more: maintenance must be idempotent
    conn_sql = (
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'events'::regclass ORDER BY 1"
    )
    names = [row[0] for row in query(database_url, conn_sql)]
    today = time.strftime("%Y%m%d", time.gmtime())
    ahead = time.strftime("%Y%m%d", time.gmtime(time.time() + 5 * 86400))
    assert today in {name[7:] for name in names}
    assert f"events_{ahead}" in names
    query_old = (
        "CREATE TABLE events_20240101 PARTITION OF events FOR VALUES"
        " FROM ('2024-01-01 00:00+00') TO ('2024-01-02 00:00+00'); SELECT 1"
    )
    query(database_url, query_old)
    with running_ingest(database_url, TART_RAW_RETENTION_DAYS=30):
        pass
    names = [row[0] for row in query(database_url, conn_sql)]
    assert "events_20240101" not in names and f"events_{today}" in names


def test_open_sessions_show_live_counts(database_url):
    with running_ingest(database_url, TART_RATE_LIMIT=1, TART_RATE_BURST=5) as (host, port, _):
        with TelemetryNode(host, port) as node:
            node.send_bytes(b"".join(frame(node.encode(best_block(slot))) for slot in range(30)))
            wait_for_rows(database_url, "SELECT events_received FROM sessions", 30)
            # The writer commits stored counts on its own schedule, the heartbeat the others.
            wait_for_rows(
                database_url, "SELECT events_rate_limited + events_stored FROM sessions", 30
            )
            (session,) = query(database_url, "SELECT closed_at, events_rate_limited FROM sessions")
            assert session[0] is None and session[1] >= 20


def test_sessions_of_a_killed_ingest_process_are_closed_by_the_next(database_url):
    with running_ingest(database_url) as (host, port, process):
        node = TelemetryNode(host, port)
        node.send(best_block(1))
        wait_for_rows(database_url, "SELECT count(*) FROM events", 1)
        process.kill()
        process.wait()
    node.close()
    assert scalar(database_url, "SELECT is_connected FROM known_nodes") is True
    # Pretend the dead process's last heartbeat was long ago rather than wait for it to age.
    query(
        database_url, "UPDATE ingest_stats SET updated_at = now() - interval '1 hour' RETURNING 1"
    )
    with running_ingest(database_url):
        wait_for_rows(database_url, "SELECT is_connected FROM known_nodes", False)
    assert (
        scalar(database_url, "SELECT close_reason FROM sessions")
        == "ingest process stopped without closing"
    )
    assert scalar(database_url, "SELECT active_sessions FROM known_nodes") == 0
