"""Ingest through the faults of a real deployment, on a PostgreSQL server of the tests' own:
restarted, read-only, gone at shutdown; and hostile nodes. Nothing the nodes' kernels accepted
may be lost, and nothing may need a restart of TART."""

import shutil
import signal
import tempfile
import time
from pathlib import Path

import pytest

from tart.config import Settings
from tart.ingest import unstored
from tart.ingest.connection import Session
from tart.ingest.items import Event
from tart.protocol import frame
from tests.support.conformance import wait_until_counted
from tests.support.db import FaultyPostgres
from tests.support.ingest import query, running_ingest, scalar, wait_for_rows
from tests.support.loadgen import loadgen_process, sent_per_node
from tests.support.node import TelemetryNode, best_block

U64_MAX = 2**64 - 1
# For the tests that stop ingest while the database is away: its wait, shortened.
SHUTDOWN_TIMEOUT = 4.0


@pytest.fixture(scope="module")
def faulty_pg():
    server = FaultyPostgres()
    yield server
    server.stop()


@pytest.fixture
def faulty_url(faulty_pg):
    url = faulty_pg.fresh_database()
    yield url
    faulty_pg.start()  # if the test left it stopped
    faulty_pg.read_only(False)
    faulty_pg.drop_database(url)


def stored_per_node(url):
    return dict(query(url, "SELECT node_id, count(*) FROM events GROUP BY node_id"))


def stream_through(url, tmp_path, fault, nodes=10, rate=200, seconds=8, mix="status", *options):
    """Run `nodes` loadgen nodes at `rate` events/s each for `seconds` at a `tart ingest`,
    calling fault() two seconds in; return what was sent and the ingest's final counters.
    `options`: more of the loadgen's."""
    summary = tmp_path / "summary.json"
    with running_ingest(url, TART_LOG_LEVEL="error") as (_, port, ingest):
        with loadgen_process(
            port,
            summary,
            "--nodes",
            nodes,
            "--rate",
            rate,
            "--duration",
            seconds,
            "--mix",
            mix,
            *options,
        ) as loadgen:
            time.sleep(2)
            fault()
            assert loadgen.wait(seconds + 90) == 0, loadgen.output()
        sent = sent_per_node(summary)
        wait_for_rows(url, "SELECT count(*) FROM events", sum(sent.values()), timeout=60)
        assert ingest.poll() is None, "ingest died"
    return sent


def terminated(ingest, within):
    """Send `ingest` SIGTERM: its exit status, and the seconds it took to exit."""
    signalled = time.monotonic()
    ingest.send_signal(signal.SIGTERM)
    status = ingest.wait(within)
    return status, time.monotonic() - signalled


def test_a_database_restart_under_load_loses_nothing(faulty_pg, faulty_url, tmp_path):
    sent = stream_through(faulty_url, tmp_path, faulty_pg.restart)
    assert stored_per_node(faulty_url) == sent
    assert query(faulty_url, "SELECT count(*) FROM decode_errors") == [(0,)]
    writer_errors = scalar(faulty_url, "SELECT (counters->>'writer_errors')::int FROM ingest_stats")
    assert writer_errors > 0, "the restart went unnoticed: was there one?"


def test_conformance_counts_stay_exact_through_a_database_restart(faulty_pg, faulty_url, tmp_path):
    """A batch whose commit was under way when the connection went is sent again only if it
    did not happen: its events, decode errors and their counts are all stored once."""
    sent = stream_through(
        faulty_url, tmp_path, faulty_pg.restart, 10, 200, 8, "all", "--garbage-rate", 0.05
    )
    assert stored_per_node(faulty_url) == sent
    valid, errors = wait_until_counted(faulty_url)
    assert sum(row[-1] for row in valid) == sum(sent.values())
    assert sum(row[-2] for row in errors) == scalar(
        faulty_url, "SELECT count(*) FROM decode_errors"
    )
    assert len({row[1] for row in valid}) > 100  # the "all" mix: every kind
    assert sum(row[-2] for row in errors) > 0
    writer_errors = scalar(faulty_url, "SELECT (counters->>'writer_errors')::int FROM ingest_stats")
    assert writer_errors > 0, "the restart went unnoticed: was there one?"


def test_a_database_stopped_for_a_while_loses_nothing(faulty_pg, faulty_url, tmp_path):
    def outage():
        faulty_pg.halt()
        time.sleep(6)
        faulty_pg.start()

    sent = stream_through(faulty_url, tmp_path, outage, seconds=10)
    assert stored_per_node(faulty_url) == sent


def test_a_read_only_database_loses_nothing_once_writable(faulty_pg, faulty_url, tmp_path):
    def read_only_for_a_while():
        faulty_pg.read_only(True)
        time.sleep(4)
        assert scalar(faulty_url, "SELECT count(*) FROM events") < 2 * 10 * 200
        faulty_pg.read_only(False)

    sent = stream_through(faulty_url, tmp_path, read_only_for_a_while)
    assert stored_per_node(faulty_url) == sent


def test_dropped_counts_past_u64_wrap_the_ids_and_harm_no_other_node(database_url):
    dropped = {"Dropped": {"last_timestamp": 1, "num_dropped": U64_MAX}}
    with running_ingest(database_url) as (host, port, ingest):
        with TelemetryNode(host, port) as hostile, TelemetryNode(host, port) as honest:
            for _ in range(6):
                hostile.send(dropped)
            hostile.send(best_block(1))
            for slot in range(50):
                honest.send(best_block(slot))
            wait_for_rows(database_url, "SELECT count(*) FROM events", 57)
        assert ingest.poll() is None
    ids = [
        int(row[0])
        for row in query(
            database_url,
            "SELECT event_id FROM events WHERE node_id = %s ORDER BY id",
            (hostile.node_id,),
        )
    ]
    # Each Dropped(2**64 - 1) moves the next ID by -1 modulo 2**64.
    assert ids == [0, U64_MAX, U64_MAX - 1, U64_MAX - 2, U64_MAX - 3, U64_MAX - 4, U64_MAX - 5]
    assert query(
        database_url, "SELECT count(*) FROM events WHERE node_id = %s", (honest.node_id,)
    ) == [(50,)]
    assert query(database_url, "SELECT count(*) FROM decode_errors") == [(0,)]


def test_events_timed_beyond_year_9999_are_stored_even_alone(database_url):
    beyond = 2**63  # µs after the JAM Common Era: ~292,000 years on
    with running_ingest(database_url) as (host, port, _):
        with TelemetryNode(host, port) as node:
            for slot in range(3):
                node.send(best_block(slot), timestamp=beyond + slot)
            wait_for_rows(database_url, "SELECT count(*) FROM events", 3)
    assert query(database_url, "SELECT timestamp, node_timestamp FROM events ORDER BY id") == [
        (None, beyond),
        (None, beyond + 1),
        (None, beyond + 2),
    ]
    assert query(database_url, "SELECT count(*) FROM decode_errors") == [(0,)]


def test_sigterm_under_full_rate_stores_everything_read_and_closes_every_session(
    database_url, tmp_path
):
    """The nodes never pause: shutdown must not wait for them to, and must store what it read."""
    summary = tmp_path / "summary.json"
    with running_ingest(database_url) as (_, port, ingest):
        with loadgen_process(
            port, summary, "--nodes", 20, "--rate", 500, "--duration", 30, "--mix", "status"
        ):
            wait_for_rows(database_url, "SELECT count(*) > 2000 FROM events", True)
            status, took = terminated(ingest, within=20)
            assert status == 0, ingest.output()
    assert took < Settings.shutdown_timeout
    sessions = query(
        database_url,
        "SELECT closed_at IS NOT NULL, close_reason, events_received,"
        " events_stored + events_rate_limited + events_undecodable,"
        " (SELECT count(*) FROM events e WHERE e.session_id = s.id)"
        " FROM sessions s",
    )
    assert len(sessions) == 20
    for closed, reason, received, accounted, stored in sessions:
        assert closed and reason.startswith("drained at shutdown"), reason
        assert received == accounted == stored > 0


def test_sigterm_without_a_database_exits_in_time_and_saves_what_it_read(faulty_pg, faulty_url):
    with running_ingest(
        faulty_url, TART_LOG_LEVEL="info", TART_SHUTDOWN_TIMEOUT=SHUTDOWN_TIMEOUT
    ) as (host, port, ingest):
        with TelemetryNode(host, port) as node:
            wait_for_rows(faulty_url, "SELECT count(*) FROM sessions", 1)
            faulty_pg.halt()
            node.send_bytes(b"".join(frame(node.encode(best_block(s))) for s in range(500)))
            time.sleep(1)
            status, took = terminated(ingest, within=40)
        output = ingest.output()
    assert status == 1, output
    assert took < SHUTDOWN_TIMEOUT + 5
    assert "to be stored at the next start" in output


def test_sigterm_without_a_database_ends_every_connection_in_time(faulty_pg, faulty_url):
    """Many connections closing at once queue for the few pooled database connections: none
    may keep waiting for the database past the shutdown timeout, and none may be unkillable."""
    with running_ingest(
        faulty_url, TART_LOG_LEVEL="info", TART_SHUTDOWN_TIMEOUT=SHUTDOWN_TIMEOUT
    ) as (host, port, ingest):
        nodes = [TelemetryNode(host, port).__enter__() for _ in range(40)]
        try:
            wait_for_rows(faulty_url, "SELECT count(*) FROM sessions", len(nodes))
            faulty_pg.halt()
            for node in nodes:
                node.send_bytes(b"".join(frame(node.encode(best_block(s))) for s in range(20)))
            # Its session cannot even be opened: its handshake waits for the database.
            nodes.append(TelemetryNode(host, port).__enter__())
            time.sleep(1)
            status, took = terminated(ingest, within=SHUTDOWN_TIMEOUT + 20)
        finally:
            for node in nodes:
                node.__exit__(None, None, None)
        output = ingest.output()
    assert status == 1, output
    assert took < SHUTDOWN_TIMEOUT + 5
    assert "to be stored at the next start" in output
    # No connection's greenlet died of an error (gevent reports each "... failed with ...").
    assert "failed with" not in output, output


def test_sigterm_with_a_frozen_database_under_load_ends_every_connection_quietly(
    faulty_pg, faulty_url, tmp_path
):
    """A frozen server (SIGSTOP) neither answers nor refuses: the connections closing at
    shutdown wait for the pool's few connections, which wait on it. Each is ended at the
    deadline with its reason, not by an error its greenlet does not handle."""
    with running_ingest(
        faulty_url, TART_LOG_LEVEL="info", TART_SHUTDOWN_TIMEOUT=SHUTDOWN_TIMEOUT
    ) as (_, port, ingest):
        with loadgen_process(
            port, tmp_path / "summary.json", "--nodes", 30, "--rate", 100, "--duration", 20,
            "--mix", "status",
        ):  # fmt: skip
            wait_for_rows(faulty_url, "SELECT count(*) > 300 FROM events", True)
            faulty_pg.freeze()
            try:
                time.sleep(1)
                status, took = terminated(ingest, within=SHUTDOWN_TIMEOUT + 20)
            finally:
                faulty_pg.thaw()
        output = ingest.output()
    assert status == 1, output
    assert took < SHUTDOWN_TIMEOUT + 5
    assert "to be stored at the next start" in output
    assert "failed with" not in output and "Traceback" not in output, output
    assert output.count("ingest shut down without the database") > 0, output


def test_what_could_not_be_stored_at_shutdown_is_stored_at_the_next_start(faulty_pg, faulty_url):
    data_dir = Path(tempfile.mkdtemp(prefix="tart-unstored-"))
    env = {
        "TART_LOG_LEVEL": "info",
        "TART_DATA_DIR": data_dir,
        "TART_SHUTDOWN_TIMEOUT": SHUTDOWN_TIMEOUT,
    }
    with running_ingest(faulty_url, **env) as (host, port, ingest):
        with TelemetryNode(host, port) as node:
            wait_for_rows(faulty_url, "SELECT count(*) FROM sessions", 1)
            faulty_pg.halt()
            node.send_bytes(b"".join(frame(node.encode(best_block(s))) for s in range(500)))
            time.sleep(1)
            ingest.send_signal(signal.SIGTERM)
            assert ingest.wait(SHUTDOWN_TIMEOUT + 20) == 1
        output = ingest.output()
    # Everything read is in the file, the batches the writer had sent too: whether PostgreSQL
    # committed them is told at the next start.
    assert "were not stored" not in output, output
    saved = list((data_dir / "unstored").glob("*.jsonl"))
    assert len(saved) == 1, output
    assert len(saved[0].read_text().splitlines()) == 500
    assert "to be stored at the next start" in output
    faulty_pg.start()
    with running_ingest(faulty_url, **env) as (_, _, again):
        # Stored before the port opens; and removed.
        assert not list((data_dir / "unstored").iterdir()), again.output()
    slots = [
        row[0]
        for row in query(faulty_url, "SELECT (data->'BestBlockChanged'->>'slot')::int FROM events")
    ]
    assert sorted(slots) == list(range(500))
    shutil.rmtree(data_dir)


def test_a_file_of_unstored_items_that_cannot_be_read_is_set_aside(database_url):
    data_dir = Path(tempfile.mkdtemp(prefix="tart-unstored-"))
    (data_dir / "unstored").mkdir()
    (data_dir / "unstored" / "1-1.jsonl").write_text('{"session": 1, "node"\n')
    with running_ingest(database_url, TART_DATA_DIR=data_dir) as (_, _, ingest):
        assert ingest.poll() is None  # started: the file did not stop it
        assert "cannot read" in ingest.output()
    assert [path.name for path in (data_dir / "unstored").iterdir()] == ["1-1.unreadable"]
    shutil.rmtree(data_dir)


def test_a_saved_batch_that_was_committed_after_all_is_not_stored_again(database_url):
    """A batch ingest had sent when its database went away is saved with its lane's token; the
    next start stores it only if writer_progress shows that commit never happened."""
    data_dir = Path(tempfile.mkdtemp(prefix="tart-unstored-"))
    session = Session(1, "unstored")
    session.node_id = "ab" * 32

    def event(slot):
        data = best_block(slot)
        return Event(session, slot, 11, 10**12 + slot, data, time.time(), b"")

    query(
        database_url,
        "INSERT INTO writer_progress (writer, lane, token) VALUES (77, 0, 5) RETURNING 1",
    )
    unstored.save(
        [((77, 0, 5), [event(1)]), ((77, 1, 3), [event(2)])],  # committed; lane 1: never
        [event(3)],
        data_dir,
    )
    with running_ingest(database_url, TART_DATA_DIR=data_dir, TART_LOG_LEVEL="info") as (
        _,
        _,
        ingest,
    ):
        assert "1 were committed after all" in ingest.output()
    assert query(
        database_url,
        "SELECT (data->'BestBlockChanged'->>'slot')::int FROM events ORDER BY id",
    ) == [(2,), (3,)]
    assert not list((data_dir / "unstored").iterdir())
    shutil.rmtree(data_dir)
