"""Block propagation and the work-package pipeline, computed from the `lifecycles` loadgen mix
sent through real TCP ingest: the spreads, funnels and counts its known delays imply."""

import math
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tart.loadgen import lifecycles as mix
from tart.loadgen.nodes import node_id
from tart.loadgen.parts import AUTHORIZED_COST
from tart.protocol import JAM_COMMON_ERA
from tests.support.ingest import query, running_ingest, wait_for_rows
from tests.support.loadgen import send_lifecycles
from tests.support.node import TelemetryNode, block_outline, work_package_received

NODES = 5
CYCLES = 2
SLOTS = mix.slots(NODES)
SEED = 3


@pytest.fixture
def lifecycles(database_url):
    """Five simulated nodes send two whole cycles of the lifecycles mix through `tart ingest`."""
    with running_ingest(database_url) as (_, port, _):
        send_lifecycles(database_url, port, NODES, CYCLES, SEED)


def jam_time(microseconds):
    return JAM_COMMON_ERA + timedelta(microseconds=microseconds)


def iso(when):
    return when.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def parse(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def nth_of(values, percent):
    """The time by which ⌈p·N⌉ of the N values had come, as ms after the first."""
    ordered = sorted(values)
    return (ordered[math.ceil(percent / 100 * len(ordered)) - 1] - ordered[0]) / timedelta(
        milliseconds=1
    )


def received_spreads(database_url):
    """header hash → {node_id: when TART received the node's first event showing it had the
    block}, from the raw events, linked here by their JIP-3 IDs within each session."""
    rows = query(
        database_url,
        "SELECT node_id, session_id, event_id, event_type, created_at, data FROM events "
        "WHERE event_type IN (40, 42, 43, 47) ORDER BY id",
    )
    links, had = {}, {}
    for node, session, event_id, event_type, created_at, data in rows:
        body = next(iter(data.values()))
        if event_type == 40:
            continue
        if event_type in (42, 43):
            header = body["outline"]["hash"]
            links[(session, body.get("authoring_id", event_id))] = header
        else:
            header = links[(session, body["authoring_or_importing_id"])]
        seen = had.setdefault(header, {})
        seen[node] = min(seen.get(node, created_at), created_at)
    return had


def test_block_propagation_follows_the_known_delays(lifecycles, database_url, client):
    listed = client.get("/api/blocks").json["blocks"]
    assert len(listed) == SLOTS * CYCLES
    first_slot = min(block["slot"] for block in listed)
    assert sorted(block["slot"] for block in listed) == list(
        range(first_slot, first_slot + SLOTS * CYCLES)
    )
    received = received_spreads(database_url)
    for block in listed:
        offset = (block["slot"] - first_slot) % SLOTS
        delays = [mix.had_after_us(i, offset, NODES) for i in range(NODES)]
        had_ms = [d / 1000 for d in delays if d is not None]
        assert block["author_node_id"] == node_id(SEED, offset)
        assert block["reporting_nodes"] == NODES
        assert block["nodes_had"] == len(had_ms) == NODES - 1
        assert block["spread_node_ms"] == {
            f"p{p}": sorted(had_ms)[math.ceil(p / 100 * len(had_ms)) - 1] for p in (50, 90, 99, 100)
        }
        times = list(received[block["header_hash"]].values())
        assert block["spread_ms"] == {
            f"p{p}": pytest.approx(nth_of(times, p), abs=0.001) for p in (50, 90, 99, 100)
        }

    newest = listed[0]
    assert newest["slot"] == first_slot + SLOTS * CYCLES - 1
    offset = (newest["slot"] - first_slot) % SLOTS
    by_hash = client.get(f"/api/blocks/{newest['header_hash'].upper()[2:]}").json["blocks"]
    by_slot = client.get(f"/api/blocks/{newest['slot']}").json["blocks"]
    assert by_hash == by_slot and len(by_hash) == 1
    (details,) = by_hash
    assert {key: details[key] for key in newest} == newest
    slot_start = newest["slot"] * 6_000_000
    nodes = {node["node_id"]: node for node in details["nodes"]}
    assert len(details["nodes"]) == NODES
    for index in range(NODES):
        delay = mix.had_after_us(index, offset, NODES)
        had = None if delay is None else iso(jam_time(slot_start + delay))
        assert nodes[node_id(SEED, index)]["had_time"] == had
    # Listed in the order TART received them, those that never had it last.
    received_order = [parse(node["had_at"]) for node in details["nodes"][: NODES - 1]]
    assert received_order == sorted(received_order)
    author = nodes[node_id(SEED, offset)]
    assert author["authored_time"] == author["had_time"] and author["importing_at"] is None
    importer = nodes[node_id(SEED, (offset + 1) % NODES)]
    assert importer["importing_time"] == iso(jam_time(slot_start + mix.IMPORT_STEP_US))
    assert importer["imported_time"] == iso(jam_time(slot_start + mix.IMPORT_STEP_US + 10_000))
    assert importer["announced_time"] == iso(jam_time(slot_start + mix.IMPORT_STEP_US - 20_000))
    missing = node_id(SEED, (offset + NODES - 1) % NODES)
    assert details["nodes"][-1]["node_id"] == missing
    assert details["nodes"][-1]["had_at"] is None and nodes[missing]["announced_at"] is not None
    assert details["never_had"] == [{"node_id": missing, "implementation_name": "tart-loadgen"}]


def test_the_work_package_funnel_counts_every_stage(lifecycles, client):
    answer = client.get("/api/workpackages", query_string={"limit": "100"}).json
    packages = SLOTS * CYCLES
    failing = CYCLES * sum(mix.fails(slot) for slot in range(SLOTS))
    succeeding = packages - failing
    assert len(answer["work_packages"]) == packages
    furthest = sorted(p["furthest_stage"] for p in answer["work_packages"])
    assert furthest == sorted(["distributed"] * succeeding + ["received"] * failing)
    assert sum(p["failures"] for p in answer["work_packages"]) == failing + succeeding
    assert {p["pipelines"] for p in answer["work_packages"]} == {1, 3}

    primary = answer["funnel"]["primary"]
    counts = {stage["stage"]: stage["count"] for stage in primary["stages"]}
    assert counts == {
        "submitted": packages,
        "received": packages,
        **{stage: succeeding for stage in mix.PRIMARY_STEPS if stage != "received"},
    }
    assert (primary["failed"], primary["duplicate"]) == (failing, 0)
    for stage in primary["stages"][1:]:
        step = mix.PRIMARY_STEPS[stage["stage"]] / 1000
        assert stage["latency_ms"] == {"p50": step, "p90": step, "p99": step}
    assert primary["stages"][0]["latency_ms"] == {"p50": None, "p90": None, "p99": None}

    secondary = answer["funnel"]["secondary"]
    assert {stage["stage"]: stage["count"] for stage in secondary["stages"]} == {
        "submitted": 2 * succeeding,
        **{stage: 2 * succeeding for stage in mix.SECONDARY_STEPS},
    }
    for stage in secondary["stages"][1:]:
        step = mix.SECONDARY_STEPS[stage["stage"]] / 1000
        assert stage["latency_ms"] == {"p50": step, "p90": step, "p99": step}

    assert answer["failures"] == [
        {
            "event_type": 107,
            "event_name": "GuaranteeSendFailed",
            "reason": mix.SEND_FAILURE_REASON,
            "count": succeeding,
        },
        {
            "event_type": 92,
            "event_name": "WorkPackageFailed",
            "reason": mix.FAILURE_REASON,
            "count": failing,
        },
    ]
    earlier = client.get(
        "/api/workpackages", query_string={"until": answer["since"], "limit": "100"}
    ).json
    assert earlier["work_packages"] == [] and earlier["failures"] == []
    assert [stage["count"] for stage in earlier["funnel"]["primary"]["stages"]] == [0] * 8


def test_a_work_packages_journey_across_its_guarantors(lifecycles, client):
    listed = client.get("/api/workpackages", query_string={"limit": "100"}).json["work_packages"]
    done = next(p for p in listed if p["furthest_stage"] == "distributed")
    journey = client.get(f"/api/workpackages/{done['work_package_hash']}").json
    assert journey["furthest_stage"] == "distributed"
    primary, *secondaries = journey["pipelines"]
    offset = journey["core"]  # the slot of the cycle: core = slot % cores, 341 cores
    assert primary["role"] == "primary" and primary["node_id"] == node_id(SEED, offset)
    assert sorted(s["node_id"] for s in secondaries) == sorted(
        node_id(SEED, (offset + rank) % NODES) for rank in (1, 2)
    )
    assert {s["role"] for s in secondaries} == {"secondary"}
    assert {s["furthest_stage"] for s in secondaries} == {"signature_sent"}
    submitted = parse(primary["stages"]["submitted"])
    assert {
        stage: (parse(primary["stages"][stage]) - submitted) / timedelta(microseconds=1)
        for stage in mix.PRIMARY_STEPS
    } == mix.PRIMARY_STEPS
    assert primary["stages"]["signature_sent"] is None
    assert primary["guarantees_sent"] == 1 and primary["failed"] is None
    assert [(f["event_name"], f["reason"]) for f in primary["failures"]] == [
        ("GuaranteeSendFailed", mix.SEND_FAILURE_REASON)
    ]
    for secondary in secondaries:
        shared = parse(secondary["stages"]["submitted"])
        assert (shared - submitted) / timedelta(microseconds=1) == mix.SHARED_US
        assert secondary["failures"] == []

    failed = next(p for p in listed if p["furthest_stage"] == "received")
    journey = client.get(f"/api/workpackages/{failed['work_package_hash']}").json
    (only,) = journey["pipelines"]
    assert only["failure"] == mix.FAILURE_REASON and only["stages"]["authorized"] is None
    assert (parse(only["failed"]) - parse(only["stages"]["submitted"])) / timedelta(
        microseconds=1
    ) == mix.PRIMARY_STEPS["authorized"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/blocks/12x",
        "/api/blocks/4294967296",
        "/api/blocks/0x" + "ab" * 31,
        "/api/blocks?limit=many",
        "/api/workpackages/0xzz",
        "/api/workpackages/" + "ab" * 33,
        "/api/workpackages?since=yesterday",
        "/api/workpackages?until=2025-13-01",
        "/api/workpackages?since=0001-01-01T00:00:00Z",
        "/api/workpackages?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z",
    ],
)
def test_bad_blocks_and_hashes_are_400s(client, url):
    response = client.get(url)
    assert response.status_code == 400, response.data
    assert set(response.json) == {"error", "detail"}


def test_unknown_blocks_and_work_packages_are_404s(client):
    for url in ("/api/blocks/7", "/api/blocks/" + "ab" * 32, "/api/workpackages/" + "cd" * 32):
        response = client.get(url)
        assert response.status_code == 404 and response.json["error"], url


def test_event_ids_link_within_their_own_session_only(database_url, client):
    """A node that reconnects numbers its events from 0 again: the same IDs on its two
    connections belong to two different work-packages and blocks."""
    first_package, second_package = "0x" + "a1" * 32, "0x" + "b2" * 32
    first_block, second_block = "0x" + "c3" * 32, "0x" + "d4" * 32
    peer = "0x" + "5e" * 32
    with running_ingest(database_url) as (host, port, _):
        for package, block, ending in (
            (first_package, first_block, {"Authorized": {"cost": AUTHORIZED_COST}}),
            (second_package, second_block, {"WorkPackageFailed": {"reason": "no core"}}),
        ):
            with TelemetryNode(host, port, peer=peer) as node:
                node.send({"WorkPackageSubmission": {"builder": peer, "ce_146": True}})
                node.send(work_package_received(0, package))
                name, fields = next(iter(ending.items()))
                node.send({name: {"submission_or_share_id": 0, **fields}})
                node.send({"Importing": {"slot": 9, "outline": block_outline(block)}})
                node.send({"BlockExecuted": {"authoring_or_importing_id": 3, "accumulated": []}})
            # The second connection only once the first is over, as a node reconnects.
            wait_for_rows(database_url, "SELECT count(*) FROM events WHERE node_id = %s",
                          5 if block == first_block else 10, params=(peer[2:],))  # fmt: skip
    first = client.get(f"/api/workpackages/{first_package}").json["pipelines"]
    second = client.get(f"/api/workpackages/{second_package}").json["pipelines"]
    assert [(p["furthest_stage"], p["failure"]) for p in first] == [("authorized", None)]
    assert [(p["furthest_stage"], p["failure"]) for p in second] == [("received", "no core")]
    assert first[0]["session_id"] != second[0]["session_id"]
    for block in (first_block, second_block):
        (details,) = client.get(f"/api/blocks/{block}").json["blocks"]
        (node,) = details["nodes"]
        assert node["importing_at"] is not None and node["imported_at"] is not None


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(
        ["/api/blocks/{}", "/api/workpackages/{}", "/api/blocks", "/api/workpackages"]
    ),
    segment=st.one_of(
        st.text(min_size=1, max_size=70), st.sampled_from(["0", "4294967295", "ab" * 32])
    ),
    parameters=st.dictionaries(
        st.sampled_from(["limit", "since", "until", "other"]),
        st.one_of(
            st.text(max_size=30),
            st.sampled_from(["2026-01-01", "0001-01-01T00:00:00", "9999-12-31T23:59:59-05:00",
                             "2026-01-01T00:00:00+25:00", "1000", "0", "5"]),
        ),
        max_size=3,
    ),
)  # fmt: skip
def test_no_odd_input_makes_these_endpoints_fail(client, path, segment, parameters):
    response = client.get(path.format(quote(segment, safe="")), query_string=parameters)
    assert response.status_code in (200, 400, 404), (path, segment, parameters, response.data)
    assert response.content_type == "application/json"


def test_pruning_drops_what_is_older_than_the_retention(database_url, rows):
    node = "e7" * 32
    session = rows.node(node)
    old, new = "0x" + "01" * 32, "0x" + "02" * 32
    rows.events(
        node,
        session,
        [
            (43, {"Importing": {"slot": 1, "outline": {"hash": old}}}),
            (43, {"Importing": {"slot": 2, "outline": {"hash": new}}}),
            (90, {"WorkPackageSubmission": {"builder": "0x" + node, "ce_146": False}}),
        ],
    )
    rows.sql("UPDATE blocks SET first_seen_at = now() - interval '31 days' WHERE header_hash = %s",
             (old,))  # fmt: skip
    rows.sql("UPDATE block_links SET created_at = now() - interval '2 days' WHERE slot = 1")
    rows.sql("UPDATE work_package_pipelines SET created_at = now() - interval '31 days'")
    rows.sql("SELECT tart_prune_propagation(30)")
    assert rows.sql("SELECT header_hash FROM blocks") == [(new,)]
    assert rows.sql("SELECT header_hash FROM block_sightings") == [(new,)]
    assert rows.sql("SELECT slot FROM block_links") == [(2,)]
    assert rows.sql("SELECT count(*) FROM work_package_pipelines") == [(0,)]


def test_events_that_change_nothing_leave_the_rows_as_they_are(rows):
    """A node announces a block it has to its peers many times: its sighting and the block's
    row (with its arrays) are not rewritten for that."""
    node = "e8" * 32
    session = rows.node(node)
    header = "0x" + "03" * 32
    announced = {"BlockAnnounced": {"peer_id": "0x" + node, "announcer": "Local", "slot": 4,
                                    "hash": header}}  # fmt: skip
    rows.events(node, session, [(43, {"Importing": {"slot": 4, "outline": {"hash": header}}})])
    rows.events(node, session, [(62, announced)], start_event_id=1)
    versions = "SELECT (SELECT xmin::text FROM block_sightings), (SELECT xmin::text FROM blocks)"
    before = rows.sql(versions)
    rows.events(node, session, [(62, announced), (62, announced)], start_event_id=2)
    assert rows.sql(versions) == before
    other = "f9" * 32
    rows.events(other, rows.node(other), [(62, announced)])
    assert rows.sql("SELECT reporting_nodes, cardinality(had_at) FROM blocks") == [(2, 1)]
