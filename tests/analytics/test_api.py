"""/api/analytics on what a real `tart ingest` stored from nodes' telemetry: counts, ranks,
shares, series, the nodes-behind histogram, stale nodes and the health score, exactly."""

import dataclasses
import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tart.config import Settings
from tart.protocol import EVENTS, discriminator
from tart.protocol.samples import sample
from tart.web import create_app, event_json
from tart.web.api import analytics_range
from tests.support.ingest import query, running_ingest, wait_for_rows
from tests.support.node import TelemetryNode, best_block


def event(name):
    return {name: sample(EVENTS[discriminator(name)], 2)}


def client_of(database_url, **settings):
    settings = dataclasses.replace(Settings(), database_url=database_url, **settings)
    return create_app(settings).test_client()


def get(client, path, status=200):
    response = client.get(path)
    assert response.status_code == status, (path, response.json)
    return response.json


def send_all(host, port, plan):
    """Connect a node per (name, events) of `plan`, send its events, and keep it connected."""
    nodes = []
    for name, events in plan:
        node = TelemetryNode(host, port, name=name)
        for data in events:
            node.send(data)
        nodes.append(node)
    return nodes


@pytest.fixture
def network(database_url):
    """Five connected nodes of two implementations, with known event counts and best blocks."""
    plan = [
        ("polkajam", [best_block(s) for s in range(96, 101)] + [event("Authoring")] * 4),
        ("polkajam", [best_block(s) for s in range(98, 101)] + [event("AuthoringFailed")]),
        ("jamduna", [best_block(s) for s in range(1, 4)] + [event("Authored")] * 2),
        ("jamduna", [best_block(90)]),
        ("typeberry", [event("Status")] * 7),
    ]
    with running_ingest(database_url) as (host, port, _):
        nodes = send_all(host, port, plan)
        total = sum(len(events) for _, events in plan)
        wait_for_rows(database_url, "SELECT count(*) FROM events", total)
        wait_for_rows(database_url, "SELECT sum(event_count)::int FROM known_nodes", total)
        # Ingest folds the stored events into the counts about once a second.
        wait_for_rows(database_url, "SELECT sum(event_count)::int FROM event_stats_minute", total)
        yield nodes
        for node in nodes:
            node.close()


def test_per_node_counts_of_an_event_type_are_ranked_with_their_share(database_url, network):
    client = client_of(database_url)
    answer = get(client, "/api/analytics/node-counts?event_type=11")
    assert answer["event_types"] == [{"event_type": 11, "name": "BestBlockChanged"}]
    assert answer["total_events"] == 12 and answer["total_nodes"] == 4
    ranked = [(n["rank"], n["node_id"], n["events"], n["share"]) for n in answer["nodes"]]
    a, b, c, d, _ = (node.node_id for node in network)
    assert ranked == [
        (1, a, 5, round(5 / 12, 6)),
        (2, *sorted([(b, 3, 0.25), (c, 3, 0.25)])[0]),
        (2, *sorted([(b, 3, 0.25), (c, 3, 0.25)])[1]),
        (4, d, 1, round(1 / 12, 6)),
    ]
    assert answer["nodes"][0]["implementation_name"] == "polkajam"
    # Whole hours inside a range are read by the hour, its ends by the minute: the same counts.
    now = int(time.time())
    wide = get(client, f"/api/analytics/node-counts?event_type=11&from={now - 3 * 3600 - 90}"
               f"&to={now + 2 * 3600 + 90}")  # fmt: skip
    assert wide["bucket"] == "minute" and wide["nodes"] == answer["nodes"]
    everything = get(client, "/api/analytics/node-counts?limit=1")
    assert everything["event_types"] is None
    assert everything["total_events"] == 26 and everything["total_nodes"] == 5
    assert [(n["node_id"], n["events"]) for n in everything["nodes"]] == [(a, 9)]
    several = get(client, "/api/analytics/node-counts?event_type=40,41,42")
    assert {n["node_id"]: n["events"] for n in several["nodes"]} == {a: 4, b: 1, c: 2}


def test_time_series_add_up_to_the_stored_events_by_minute_and_by_hour(database_url, network):
    client = client_of(database_url)
    stored = dict(query(database_url, "SELECT event_type::text, count(*) FROM events GROUP BY 1"))
    by_type = get(client, "/api/analytics/timeseries?step=3600")
    assert by_type["bucket"] == "minute" and by_type["step"] == 3600
    assert {s["key"]: sum(p["events"] for p in s["points"]) for s in by_type["series"]} == stored
    assert {s["name"] for s in by_type["series"]} >= {"BestBlockChanged", "Status"}
    week_ago = int((datetime.now(UTC) - timedelta(days=7)).timestamp())
    hourly = get(client, f"/api/analytics/timeseries?from={week_ago}&by=implementation")
    assert hourly["bucket"] == "hour" and hourly["step"] % 3600 == 0
    totals = {s["key"]: sum(p["events"] for p in s["points"]) for s in hourly["series"]}
    assert totals == {"polkajam": 13, "jamduna": 6, "typeberry": 7}
    one = network[2].node_id
    by_node = get(client, f"/api/analytics/timeseries?by=node&node_id={one[:10]}&event_type=11")
    assert [(s["key"], sum(p["events"] for p in s["points"])) for s in by_node["series"]] == [
        (one, 3)
    ]
    # A step's rate is its events over its length, or over its elapsed part for the current
    # one; which step holds the events depends on when the hour turns.
    points = by_type["series"][0]["points"]
    assert any(p["events"] for p in points)
    assert all((p["events_per_second"] > 0) == (p["events"] > 0) for p in points)
    assert all(p["events_per_second"] >= round(p["events"] / 3600, 6) for p in points)
    by_category = get(client, "/api/analytics/timeseries?by=category&step=3600")
    sections = {
        s["key"]: (s["name"], sum(p["events"] for p in s["points"])) for s in by_category["series"]
    }
    assert sections == {
        "status": ("Status events", stored["11"] + stored["10"]),
        "block_authoring": ("Block authoring/importing events", 4 + 1 + 2),
    }


@pytest.mark.parametrize(
    ("table", "bucket", "days"),
    [("event_stats_node_minute", 60, 1), ("event_stats_node_hourly", 3600, 10)],
    ids=["by-minute", "by-hour"],
)
def test_each_count_by_node_is_in_the_step_that_holds_its_bucket(database_url, table, bucket, days):
    """Counts at the first and last bucket of each step, and just outside the range: each is in
    its step alone, at the step's rate, and the series ranked by their totals, then by key."""
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=days)
    step = 3 * bucket * 60  # three hours, or three days
    start = end - 3 * timedelta(seconds=step)
    a, b, c, d = (letter * 64 for letter in "abcd")
    at = [
        (start - timedelta(seconds=bucket), a, 1000),
        (start, a, 5),
        (start + timedelta(seconds=step - bucket), a, 7),
        (start + timedelta(seconds=step), a, 11),
        (end - timedelta(seconds=bucket), a, 13),
        (end, a, 1000),
        (start + timedelta(seconds=step + 5 * bucket), d, 3),
        (start + timedelta(seconds=2 * step), c, 20),
        (start + timedelta(seconds=step), b, 3),
    ]
    for when, node, count in at:
        query(
            database_url,
            f"INSERT INTO {table} VALUES (%s, %s, %s) RETURNING node_id",
            (when, node, count),
        )
    answer = get(
        client_of(database_url),
        f"/api/analytics/timeseries?by=node&from={start.timestamp():.0f}&to={end.timestamp():.0f}"
        f"&step={step}",
    )
    assert answer["bucket"] == ("minute" if bucket == 60 else "hour")
    assert answer["series_total"] == 4
    times = [event_json.iso(start + timedelta(seconds=i * step)) for i in range(3)]
    expected = [(a, [12, 11, 13]), (c, [0, 0, 20]), (b, [0, 3, 0]), (d, [0, 3, 0])]
    assert [(s["key"], s["name"], s["points"]) for s in answer["series"]] == [
        (
            key,
            None,
            [
                {"time": when, "events": count, "events_per_second": round(count / step, 6)}
                for when, count in zip(times, counts)
            ],
        )
        for key, counts in expected
    ]


def test_ranges_relative_to_now_that_cover_the_same_buckets_are_one_kept_page(database_url):
    """A dashboard asks for `from` a day ago in seconds, a new query string each second: each
    is the same page while its range covers the same minutes, kept as any analytics page."""
    client = client_of(database_url)
    node = "ce" * 32
    minute = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2)
    query(
        database_url,
        "INSERT INTO event_stats_node_minute (minute, node_id, event_count) VALUES (%s, %s, 7)"
        " RETURNING node_id",
        (minute, node),
    )

    def events(seconds_in):
        """The node's events in the hour up to `minute`, asked with `from` and `to` that many
        seconds into their minutes."""
        start = int((minute - timedelta(hours=1)).timestamp()) + seconds_in
        end = int(minute.timestamp()) + seconds_in
        path = f"/api/analytics/timeseries?by=node&node_id={node}&from={start}&to={end}"
        answer = get(client, path)
        assert answer["from"] == event_json.iso(minute - timedelta(hours=1))
        return sum(point["events"] for point in answer["series"][0]["points"])

    assert events(10) == 7
    query(
        database_url,
        "UPDATE event_stats_node_minute SET event_count = 9 WHERE node_id = %s RETURNING node_id",
        (node,),
    )
    # Behind the API's back: the page kept for the first query string answers the second.
    assert events(11) == 7
    time.sleep(analytics_range.PAGE_LIFETIME + 0.5)
    assert events(12) == 9


def test_nodes_behind_the_best_block_fall_in_their_buckets(database_url, network):
    answer = get(client_of(database_url), "/api/analytics/nodes-behind")
    assert answer["best_slot"] == 100
    assert answer["connected_nodes"] == 5 and answer["without_best_block"] == 1
    histogram = {bucket["le"]: bucket["nodes"] for bucket in answer["histogram"]}
    # Slots behind: 0, 0, 97 (slot 3) and 10 (slot 90).
    assert histogram == {0: 2, 1: 0, 2: 0, 5: 0, 10: 1, 100: 1, 1000: 0, None: 0}
    assert [(n["node_id"], n["behind"]) for n in answer["behind"]] == [
        (network[2].node_id, 97),
        (network[3].node_id, 10),
    ]


def test_implementations_count_nodes_and_events(database_url, network):
    answer = get(client_of(database_url), "/api/analytics/implementations")
    rows = {
        i["implementation_name"]: (i["nodes"], i["connected_nodes"], i["events"], i["share"])
        for i in answer["implementations"]
    }
    assert answer["total_nodes"] == 5
    assert rows == {
        "polkajam": (2, 2, 13, 0.4),
        "jamduna": (2, 2, 6, 0.4),
        "typeberry": (1, 1, 7, 0.2),
    }


def test_health_scores_the_anomalies_it_lists(database_url, network):
    client = client_of(database_url, health_behind_slots=5, health_failure_rate=0.05)
    answer = get(client, "/api/analytics/health")
    kinds = {a["kind"]: a for a in answer["anomalies"]}
    assert set(kinds) == {"failure_rate", "nodes_behind"}
    # Block authoring: 1 AuthoringFailed of 7 events (4 Authoring, 2 Authored).
    assert kinds["failure_rate"]["category"] == "block_authoring"
    assert kinds["failure_rate"]["value"] == round(1 / 7, 6)
    assert kinds["nodes_behind"]["value"] == 2  # slot 3 and slot 90; slot-less typeberry is not
    assert answer["score"] == 100 - 10 - round(30 * 2 / 5) and answer["status"] == "degraded"
    assert answer["events"] == 26 and answer["connected_nodes"] == 5
    calm = client_of(database_url, health_behind_slots=100, health_failure_rate=0.5)
    assert get(calm, "/api/analytics/health")["score"] == 100


def test_nodes_silent_for_a_while_are_stale_and_cost_health(database_url):
    with running_ingest(database_url) as (host, port, _):
        talking, silent = send_all(host, port, [("polkajam", [best_block(1)])] * 2)
        wait_for_rows(
            database_url, "SELECT count(*) FROM known_nodes WHERE last_seen_at IS NOT NULL", 2
        )
        client = client_of(database_url, health_silent_seconds=2.0, health_behind_slots=10**6)
        deadline = time.monotonic() + 30
        slot = 2
        while True:
            talking.send(best_block(slot))
            slot += 1
            stale = get(client, "/api/analytics/stale-nodes")
            if stale["nodes"] or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert stale["silent_for"] == 2.0
        assert [n["node_id"] for n in stale["nodes"]] == [silent.node_id]
        assert stale["nodes"][0]["silent_seconds"] > 2
        anomalies = get(client, "/api/analytics/health")["anomalies"]
        assert [(a["kind"], a["value"]) for a in anomalies] == [("nodes_silent", 1)]
        assert get(client, "/api/analytics/stale-nodes?silent_for=3600")["nodes"] == []
        talking.close()
        silent.close()


@pytest.mark.parametrize(
    "path",
    [
        "/api/analytics/timeseries?by=colour",
        "/api/analytics/timeseries?step=90",
        # Named, not by its time: pytest-xdist's workers must collect the same test names.
        pytest.param(
            f"/api/analytics/timeseries?step=60&from={int(time.time()) - 10 * 86400}",
            id="/api/analytics/timeseries?step=60&from=ten-days-ago",
        ),
        "/api/analytics/timeseries?from=yesterday",
        "/api/analytics/timeseries?from=1700000000&to=1600000000",
        "/api/analytics/timeseries?from=1000000000",
        "/api/analytics/timeseries?node_id=xyz",
        "/api/analytics/node-counts?event_type=300",
        "/api/analytics/node-counts?limit=ten",
        "/api/analytics/nodes-behind?limit=x",
        "/api/analytics/stale-nodes?silent_for=-1",
        "/api/analytics/stale-nodes?silent_for=nan",
    ],
)
def test_bad_parameters_are_a_400_saying_which(database_url, path):
    answer = get(client_of(database_url), path, status=400)
    assert answer["error"] and answer["detail"]["parameter"] in path


ODD = st.one_of(
    st.text(max_size=25),
    st.sampled_from(
        [
            "0",
            "-1",
            "60",
            "3600",
            "86400",
            "1e3",
            "NaN",
            "inf",
            "",
            " ",
            "\x00",
            "11,",
            "255",
            "256",
            "2026-12-06T12:00:00Z",
            "2026-12-06T12:00:00+05:30",
            "2026-13-01",
            "9999999999",
            "99999999999.5",
            "node",
            "type",
            "implementation",
            "c3" * 32,
        ]
    ),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(
        [
            "/api/analytics/timeseries",
            "/api/analytics/node-counts",
            "/api/analytics/nodes-behind",
            "/api/analytics/stale-nodes",
            "/api/analytics/implementations",
            "/api/analytics/health",
        ]
    ),
    parameters=st.dictionaries(
        st.sampled_from(
            ["from", "to", "step", "by", "event_type", "node_id", "limit", "silent_for"]
        ),
        ODD,
        max_size=5,
    ),
)
def test_no_query_string_makes_analytics_fail(client, path, parameters):
    response = client.get(path, query_string=parameters)
    assert response.status_code in (200, 400), (path, parameters, response.data)
    if response.status_code == 400:
        assert set(response.json) == {"error", "detail"} and response.json["error"]
