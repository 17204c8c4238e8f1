from tests.support.ingest import running_ingest, scalar, wait_for_rows
from tests.support.node import TelemetryNode, best_block


def test_one_node_streams_events(database_url):
    with running_ingest(database_url) as (host, port, _), TelemetryNode(host, port) as node:
        for slot in range(10):
            node.send(best_block(slot))
        wait_for_rows(database_url, "SELECT count(*) FROM events", 10)
    assert scalar(database_url, "SELECT max(event_id) FROM events") == 9
    assert scalar(database_url, "SELECT best_slot FROM known_nodes") == 9
