"""/metrics/nodes: per-node series from the nodes table, bounded, cached, and off on request."""

import dataclasses
import gzip
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from psycopg2.extras import Json

from tart.config import Settings
from tart.web import create_app
from tart.web.node_metrics import SERIES_PER_NODE
from tests.support.rows import NOW

A, B, C = "a1" * 32, "b2" * 32, "c3" * 32


def scrape(client):
    response = client.get("/metrics/nodes")
    assert response.status_code == 200, response.text
    assert response.content_type.startswith("text/plain")
    return {
        (sample.name, sample.labels.get("node_id")): (sample.labels, sample.value)
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def client_for(database_url, **settings):
    app = create_app(dataclasses.replace(Settings(), database_url=database_url, **settings))
    return app, app.test_client()


def test_each_node_has_its_state_under_its_id_name_implementation_and_version(client, rows):
    rows.node(A, "polkajam", "0.1.5", best_slot=120, finalized_slot=117)
    rows.node(B, "jamduna", "0.7.1", connected=False, best_slot=90, last_seen_at=NOW)
    series = scrape(client)
    labels, connected = series["telemetry_node_connected", A]
    assert labels == {
        "node_id": A,
        "name": "a1a1a1a1",
        "implementation": "polkajam",
        "version": "0.1.5",
    }
    assert connected == 1
    assert series["telemetry_node_best_slot", A] == (labels, 120)
    assert series["telemetry_node_finalized_slot", A] == (labels, 117)
    assert series["telemetry_node_last_seen_timestamp_seconds", A] == (labels, NOW.timestamp())
    assert series["telemetry_node_connected", B][1] == 0
    assert series["telemetry_node_best_slot", B][0]["implementation"] == "jamduna"
    # No finalized block reported yet: no series rather than a made-up 0.
    assert ("telemetry_node_finalized_slot", B) not in series
    assert series["telemetry_nodes_known", None][1] == 2
    assert series["telemetry_nodes_connected", None][1] == 1


def test_events_by_category_and_decode_errors_per_node(client, rows):
    # Status (10) and BestBlockChanged (11) are status events, ConnectionRefused (20) networking.
    rows.node(A, events_by_type=Json({"10": 5, "11": 2, "20": 1}), events_undecodable=3)
    rows.node(B, events_by_type=Json({"10": 4}))
    rows.node(C)  # nothing stored yet
    response = client.get("/metrics/nodes")
    samples = [
        (sample.name, sample.labels, sample.value)
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    ]

    def values(name, *keys):
        return {
            tuple(labels.get(key) for key in keys): value
            for found, labels, value in samples
            if found == name
        }

    assert values("telemetry_node_events_total", "node_id", "category") == {
        (A, "status"): 7,
        (A, "networking"): 1,
        (B, "status"): 4,
    }
    # Every node has its decode errors, 0 included, so the first error is an increase.
    assert values("telemetry_node_decode_errors_total", "node_id") == {(A,): 3, (B,): 0, (C,): 0}
    # The bound the docs and prometheus.yml's sample_limit count on.
    per_node = {}
    for _, labels, _ in samples:
        if "node_id" in labels:
            per_node[labels["node_id"]] = per_node.get(labels["node_id"], 0) + 1
    assert max(per_node.values()) <= SERIES_PER_NODE == 16


def test_at_most_the_configured_nodes_connected_first_then_the_latest_seen(database_url, rows):
    rows.node(A, connected=False, last_seen_at=NOW - timedelta(hours=2))
    rows.node(B, connected=False, last_seen_at=NOW - timedelta(minutes=1))
    rows.node(C, connected=True, last_seen_at=NOW - timedelta(hours=5))
    _, client = client_for(database_url, node_metrics=2)
    series = scrape(client)
    exported = {node for name, node in series if name == "telemetry_node_connected"}
    assert exported == {C, B}
    assert series["telemetry_nodes_known", None][1] == 3


def test_one_query_per_scrape_at_most_every_five_seconds(database_url, rows):
    rows.node(A, best_slot=1)
    app, client = client_for(database_url)
    db = app.extensions["tart_db"]
    queries = []
    prepared = db.prepared

    def counted(sql, args=()):
        queries.append(sql)
        return prepared(sql, args)

    db.prepared = counted
    assert scrape(client)["telemetry_node_best_slot", A][1] == 1
    rows.sql("UPDATE known_nodes SET best_slot = 2")
    assert scrape(client)["telemetry_node_best_slot", A][1] == 1  # kept
    assert len(queries) == 1
    app.extensions["tart_node_metrics"]._expires = 0  # five seconds later
    assert scrape(client)["telemetry_node_best_slot", A][1] == 2
    assert len(queries) == 2


def test_turned_off_it_says_so(database_url):
    _, client = client_for(database_url, node_metrics=0)
    response = client.get("/metrics/nodes")
    assert response.status_code == 404
    assert "TART_NODE_METRICS=0" in response.json["error"]


def test_without_the_database_the_scrape_fails_with_a_reason(client, pg, database_url):
    pg.drop_database(database_url)
    response = client.get("/metrics/nodes")
    assert response.status_code == 503
    assert response.json["error"]


@pytest.mark.parametrize("value", ["-1", "many"])
def test_the_setting_is_checked(value):
    with pytest.raises(Exception, match="TART_NODE_METRICS"):
        Settings.from_env({"TART_NODE_METRICS": value})


def test_names_with_quotes_backslashes_and_newlines_come_through(client, rows):
    rows.node(A, 'pol"ka\\jam', "1.0\nbeta")
    labels, _ = scrape(client)["telemetry_node_connected", A]
    assert (labels["implementation"], labels["version"]) == ('pol"ka\\jam', "1.0\nbeta")


def test_gzipped_for_a_scraper_that_asks(client, rows):
    rows.node(A, best_slot=7)
    plain = client.get("/metrics/nodes")
    zipped = client.get("/metrics/nodes", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain.headers
    assert gzip.decompress(zipped.data) == plain.data
