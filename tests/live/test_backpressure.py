"""Clients that cannot keep up, and more clients than a worker takes."""

import threading
import time

from tart.protocol import frame
from tests.support.ingest import query, running_ingest, scalar, wait_for_rows
from tests.support.live import LiveClient, StalledClient, client_on
from tests.support.node import TelemetryNode, best_block
from tests.support.web import metric, running_web

QUEUE = 2000
# Enough that a client which stopped reading has far more than QUEUE events waiting, beyond what
# the kernel's socket buffers hold for it (a few thousand of these events).
EVENTS = 16_000


def send_paced(node, count, per_step=500, step=0.125):
    """Send `count` events at a steady pace that a reading client keeps up with."""
    messages = [frame(node.encode(best_block(slot))) for slot in range(count)]
    for start in range(0, count, per_step):
        node.send_bytes(b"".join(messages[start : start + per_step]))
        time.sleep(step)


def test_a_client_that_stops_reading_is_closed_while_the_others_get_everything(database_url):
    with (
        running_ingest(database_url) as (host, port, _),
        running_web(database_url, TART_WS_QUEUE=QUEUE) as (web, _),
    ):
        stalled = StalledClient(web)
        reader = client_on(web, stalled.worker)  # the same worker, so the same listener
        with TelemetryNode(host, port) as node:
            sender = threading.Thread(target=send_paced, args=(node, EVENTS))
            sender.start()
            events = reader.events(EVENTS)
            sender.join()
        assert [e["event"] for e in events] == [best_block(slot) for slot in range(EVENTS)]
        assert [e["id"] for e in events] == [
            row[0] for row in query(database_url, "SELECT id FROM events ORDER BY id")
        ]

        code, reason = stalled.close_frame()
        assert code == 1008
        queued = int(reason.removeprefix("too slow: ").removesuffix(" events queued"))
        assert queued > QUEUE
        with client_on(web, stalled.worker) as witness:
            assert witness.connected["broadcaster_stats"]["slow_clients_closed"] == 1
        assert metric(web, "telemetry_broadcaster_slow_clients_closed_total") == 1
        # Ingest never waited for the web side: everything stored, nothing dropped.
        wait_for_rows(database_url, "SELECT count(*) FROM events", EVENTS)
        assert (
            scalar(
                database_url, "SELECT sum((counters->>'events_dropped')::bigint) FROM ingest_stats"
            )
            == 0
        )
        reader.close()
        stalled.close()


def test_a_full_worker_refuses_with_a_reason(database_url):
    with running_web(database_url, workers=1, TART_WS_MAX_CLIENTS=1) as (web, _):
        with LiveClient(web) as first:
            with LiveClient(web, "/api/events/stream") as second:
                assert second.closed() == (1013, "server full")
            first.send({"type": "Ping"})
            first.next("pong")
            assert metric(web, "telemetry_broadcaster_subscribers") == 1
        assert metric(web, "telemetry_broadcaster_clients_refused_total") == 1
        with LiveClient(web) as third:  # the first one's place is free again
            assert third.connected["broadcaster_stats"]["clients_refused"] == 1
