"""PostgreSQL announces which blocks and work-packages each commit changed
(schema/030_subject_changes.sql), and a web worker's listener remembers them
(tart.web.live.changes) for its page cache."""

import select
import time

import gevent
import pytest

from tart.db import CHANGES_CHANNEL, EVENTS_CHANNEL
from tart.db.connect import connect
from tart.supervision import Supervisor
from tart.web.live import changes
from tart.web.live.changes import Changes
from tart.web.live.listener import Listener
from tests.support.ingest import running_ingest
from tests.support.node import TelemetryNode, block_outline, work_package_received

HEADER = "0x" + "3c" * 32
PACKAGE = "0x" + "d4" * 32


def importing(slot, header_hash):
    return 43, {"Importing": {"slot": slot, "outline": {"hash": header_hash}}}


@pytest.fixture
def announced(database_url):
    """announced(count): the next `count` notifications on CHANGES_CHANNEL, as (last id,
    subjects), read by a connection of its own."""
    conn = connect(database_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"LISTEN {CHANGES_CHANNEL}")

    def read(count):
        deadline = time.monotonic() + 10
        while len(conn.notifies) < count:
            assert time.monotonic() < deadline, [n.payload for n in conn.notifies]
            select.select([conn], [], [], 0.1)
            conn.poll()
        found = [conn.notifies.pop(0) for _ in range(count)]
        return [(int(n.payload.split()[0]), set(n.payload.split()[1:])) for n in found]

    yield read
    conn.close()


def test_a_batch_announces_the_blocks_it_changed_with_its_last_id(rows, announced):
    node = "e1" * 32
    session = rows.node(node)
    ids = rows.events(node, session, [(11, {"marker": 1}), importing(7, HEADER)])
    # A block and its sighting, with the batch's last id (PostgreSQL sends a transaction's
    # identical notifications once).
    assert announced(1) == [(ids[-1], {"b" + HEADER, "s7"})]
    announce = {"BlockAnnounced": {"peer_id": "0x" + node, "announcer": "Local", "slot": 7,
                                   "hash": HEADER}}  # fmt: skip
    ids = rows.events(node, session, [(62, announce)], start_event_id=2)
    assert announced(1) == [(ids[-1], {"b" + HEADER, "s7"})]  # its sighting's announced_at
    # Announcing it again, and events of no block, change nothing: nothing is announced.
    rows.events(node, session, [(62, announce), (11, {"marker": 2})], start_event_id=3)
    ids = rows.events(node, session, [importing(8, "0x" + "4d" * 32)], start_event_id=5)
    assert announced(1) == [(ids[-1], {"b0x" + "4d" * 32, "s8"})]


def test_the_writer_s_commit_announces_its_changes_after_its_events(database_url):
    """As the listener expects (tart.web.live.listener): the changes of a commit come right
    after its tart_events notification, with the same last id."""
    conn = connect(database_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"LISTEN {EVENTS_CHANNEL}; LISTEN {CHANGES_CHANNEL}")
    with running_ingest(database_url) as (host, port, _), TelemetryNode(host, port) as node:
        node.send({"Importing": {"slot": 9, "outline": block_outline(HEADER)}})
        deadline = time.monotonic() + 30
        while not any(n.channel == CHANGES_CHANNEL for n in conn.notifies):
            assert time.monotonic() < deadline, "no changes announced"
            select.select([conn], [], [], 0.1)
            conn.poll()
    events, announced = conn.notifies[:2]
    conn.close()
    assert (events.channel, announced.channel) == (EVENTS_CHANNEL, CHANGES_CHANNEL)
    last_id = events.payload.rpartition(",")[2]
    assert announced.payload.split() == [last_id, "b" + HEADER, "s9"]


def test_a_batch_announces_the_work_packages_it_changed(rows, announced):
    node = "e2" * 32
    session = rows.node(node)
    builder = "0x" + "5f" * 32
    ids = rows.events(
        node,
        session,
        [(90, {"WorkPackageSubmission": {"builder": builder, "ce_146": True}}),
         (94, work_package_received(0, PACKAGE))],
    )  # fmt: skip
    # The package's row and its pipeline's: one notification.
    assert announced(1) == [(ids[-1], {"w" + PACKAGE})]
    # A sharing failure changes only the failures, shown with the package's pipeline.
    failed = (99, {"WorkPackageSharingFailed": {"submission_id": 0, "reason": "gone"}})
    ids = rows.events(node, session, [failed], start_event_id=2)
    assert announced(1) == [(ids[-1], {"w" + PACKAGE})]


def test_a_batch_changing_too_many_to_name_announces_everything(rows, announced):
    node = "e3" * 32
    session = rows.node(node)
    # 100 blocks (one statement of Rows.events) of slots long enough to pass 8000 bytes.
    many = [importing(10**9 + n, "0x" + f"{n:064x}") for n in range(100)]
    ids = rows.events(node, session, many)
    assert announced(1) == [(ids[-1], {"*"})]


def test_changes_remember_the_last_commit_of_each_subject_and_a_floor_for_the_rest():
    heard = Changes(remembered=2)
    assert heard.last(changes.block(HEADER)) == 0
    heard.heard(f"5 {changes.block(HEADER)} {changes.slot(7)}")
    heard.heard(f"9 {changes.slot(7)}")
    assert heard.last(changes.block(HEADER)) == 5 and heard.last(changes.slot(7)) == 9
    assert heard.last(changes.slot(8)) == 0
    # A third subject: the least recently changed is forgotten, the floor rises to its id.
    heard.heard(f"12 {changes.work_package(PACKAGE)}")
    assert heard.last(changes.block(HEADER)) == 5 == heard.last(changes.slot(8))
    assert heard.last(changes.slot(7)) == 9 and heard.last(changes.work_package(PACKAGE)) == 12
    heard.heard("14 *")
    assert heard.last(changes.slot(7)) == 14 and heard.last(changes.slot(8)) == 14
    heard.heard("not a notification")
    heard.forget(20)
    assert heard.last(changes.work_package(PACKAGE)) == 20


def test_after_reconnecting_the_listener_takes_everything_as_changed(rows, database_url):
    """While its connection is down no change is heard: once back, every subject may have
    changed up to the last event committed meanwhile."""
    node = "e4" * 32
    session = rows.node(node)
    rows.events(node, session, [importing(3, HEADER)])
    supervisor = Supervisor()
    listener = Listener(database_url, supervisor)
    listener.start()
    deadline = time.monotonic() + 10
    while listener.committed_id is None:
        assert time.monotonic() < deadline, "never connected"
        gevent.sleep(0.01)
    subject = changes.block(HEADER)
    ids = rows.events(node, session, [importing(3, HEADER), (47, {"BlockExecuted": {
        "authoring_or_importing_id": 1, "accumulated": []}})], start_event_id=1)  # fmt: skip
    while listener.changes.last(subject) < ids[-1]:
        assert time.monotonic() < deadline, "the change was not heard"
        gevent.sleep(0.01)

    rows.sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE application_name = 'tart web live' AND datname = current_database()"
    )
    while listener.committed_id is not None:
        assert time.monotonic() < deadline, "never noticed the lost connection"
        gevent.sleep(0.01)
    # Committed while no notification can arrive; other blocks only.
    ids = rows.events(node, session, [importing(4, "0x" + "5e" * 32)], start_event_id=3)
    while listener.committed_id is None:
        assert time.monotonic() < deadline + 10, "never reconnected"
        gevent.sleep(0.05)
    assert listener.committed_id >= ids[-1]
    assert listener.changes.last(subject) >= ids[-1]
    supervisor.kill_all()
