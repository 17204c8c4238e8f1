"""Fan-out across processes: several ingest processes, several web workers, and the listener's
connection to PostgreSQL coming and going."""

import signal

from tests.support.ingest import query, running_ingest, scalar, wait_for_rows
from tests.support.live import LiveClient, one_client_per_worker
from tests.support.node import TelemetryNode, best_block
from tests.support.procs import free_port
from tests.support.web import metric, running_web


def nodes_on_both(database_url, host, port) -> list[TelemetryNode]:
    """Connect nodes until both ingest processes sharing `port` have some (SO_REUSEPORT picks)."""
    nodes = []
    while (
        len(nodes) < 4
        or scalar(database_url, "SELECT count(DISTINCT ingest_process) FROM sessions") < 2
    ):
        assert len(nodes) < 64, "SO_REUSEPORT gave every connection to one process"
        nodes.append(TelemetryNode(host, port))
        wait_for_rows(
            database_url, "SELECT count(*) FROM sessions WHERE node_id IS NOT NULL", len(nodes)
        )
    return nodes


def test_subscribers_on_every_worker_see_the_events_of_every_ingest_process(database_url):
    port = free_port()
    with (
        running_ingest(database_url, port=port) as (host, _, _),
        running_ingest(database_url, port=port),
        running_web(database_url) as (web, _),
    ):
        clients = one_client_per_worker(web)
        nodes = nodes_on_both(database_url, host, port)
        for slot in range(50):
            for node in nodes:
                node.send(best_block(slot))
        total = 50 * len(nodes)
        for client in clients:
            events = client.events(total)
            assert [(e["id"], e["node_id"]) for e in events] == [
                tuple(row)
                for row in query(database_url, "SELECT id, node_id FROM events ORDER BY id")
            ]
            for node in nodes:
                assert [e["event"] for e in events if e["node_id"] == node.node_id] == [
                    best_block(slot) for slot in range(50)
                ]
        assert metric(web, "telemetry_broadcaster_subscribers") == 2
        assert metric(web, "telemetry_broadcaster_total_broadcast") == 2 * total
        for thing in clients + nodes:
            thing.close()


def test_events_stored_while_the_listener_is_disconnected_are_delivered(database_url):
    with (
        running_ingest(database_url) as (host, port, _),
        running_web(database_url, workers=1) as (web, _),
    ):
        with LiveClient(web) as client, TelemetryNode(host, port) as node:
            node.send(best_block(0))
            client.events(1)
            for outage in range(1, 3):
                assert (
                    scalar(
                        database_url,
                        "SELECT count(pg_terminate_backend(pid))"
                        " FROM pg_stat_activity"
                        " WHERE application_name = 'tart web live'",
                    )
                    == 1
                )
                for slot in range(outage * 100 - 99, outage * 100 + 1):
                    node.send(best_block(slot))
                events = client.events(100)
                assert [e["event"] for e in events] == [
                    best_block(slot) for slot in range(outage * 100 - 99, outage * 100 + 1)
                ]
            assert [e["id"] for e in events] == [
                row[0]
                for row in query(database_url, "SELECT id FROM events ORDER BY id OFFSET 101")
            ]


def test_clients_are_told_when_the_server_shuts_down(database_url):
    with running_web(database_url) as (web, process), LiveClient(web) as client:
        process.send_signal(signal.SIGTERM)
        assert client.closed() == (1001, "server shutting down")
        process.wait(timeout=20)
