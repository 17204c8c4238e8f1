"""The service's conformance reports agree with `tart check` on the same traffic: captures made
with the codec, valid and broken by hand, sent through real ingest connections and checked from
their files; the reports read over HTTP from the web process."""

import importlib.util
import json
import re
import time
from types import SimpleNamespace

import pytest
import requests

from tart.protocol import encode_event, encode_natural
from tests.support.captures import (
    CONNECTING_IN,
    CONNECTING_OUT,
    TIMESTAMP,
    Capture,
    best_block,
    header,
    status,
    varint_timestamp,
)
from tests.support.check import check_json
from tests.support.ingest import query, running_ingest, wait_for_rows
from tests.support.node import TelemetryNode, peer_id
from tests.support.procs import REPO
from tests.support.web import web_base


def classic_mistakes(version, layout, peer):
    """Valid events of several kinds around each classic mistake, some more than once."""
    capture = Capture(version, layout, core_count=4, peer=peer, version=f"classic-{version}")

    def event(data, cores=4):
        return encode_event(data, TIMESTAMP, version, cores)

    capture.event(best_block(1))
    capture.event({"SyncStatusChanged": {"synced": True}})
    capture.event(status(4))
    connecting_in = capture.event(CONNECTING_IN) - 1  # its event ID
    capture.event(CONNECTING_OUT)
    capture.event({"ConnectedOut": {"connecting_id": connecting_in}})  # a wrong reference
    capture.add(varint_timestamp(event(best_block(2))))
    failed = event({"ConnectInFailed": {"connecting_id": 0, "reason": "r" * 128}})
    capture.add(failed.replace(bytes.fromhex("80 80"), bytes.fromhex("80 01"), 1))  # LEB128
    capture.add(event(status(2), cores=2))  # a per-core array of another C
    for byte in (2, 3, 2):
        capture.add(header(13) + bytes((byte,)))  # bool 2, bool 3, bool 2
    capture.add(event(best_block(3)) + b"\x00\x00")  # trailing bytes
    capture.add(header(48) + bytes(12))  # unknown discriminator
    capture.add(bytes(5))  # too short for any kind
    capture.event(best_block(4))
    return capture


def length_prefixed_parameters(peer):
    capture = Capture(peer=peer, version="prefixed")
    capture.messages[0] = capture.messages[0][:1] + encode_natural(134) + capture.messages[0][1:]
    capture.event(best_block(1))
    return capture


def docs_example():
    path = REPO / "docs" / "examples" / "mistakes.py"
    spec = importlib.util.spec_from_file_location("mistakes", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    capture = SimpleNamespace(messages=list(script.messages()))
    capture.bytes = lambda: (REPO / "docs" / "examples" / "mistakes.bin").read_bytes()
    return capture


@pytest.fixture(scope="module")
def service(pg, tmp_path_factory):
    """Captures sent through ingest, one connection each, and checked by `tart check --json`;
    yields what a test needs: the web's base URL, each capture, its node and check report."""
    url = pg.fresh_database()
    files = tmp_path_factory.mktemp("captures")
    captures = {
        "example": docs_example(),
        "classic-0 a": classic_mistakes(0, "0.7", peer_id("classic 0 a")),
        "classic-0 b": classic_mistakes(0, "0.7", peer_id("classic 0 b")),
        "classic-1": classic_mistakes(1, "0.8", peer_id("classic 1")),
        "prefixed": length_prefixed_parameters(peer_id("prefixed")),
    }
    reports, nodes = {}, {}
    try:
        with running_ingest(url) as (host, port, _), web_base(url) as base:
            for name, capture in captures.items():
                path = files / f"{name}.bin"
                path.write_bytes(capture.bytes())
                _, reports[name] = check_json(path)
                node = TelemetryNode(host, port, handshake=False)
                with node:
                    node.send_bytes(capture.bytes())
                info = reports[name]["node_information"]
                nodes[name] = info["peer_id"][2:] if info["valid"] else None
            stored = sum(len(capture.messages) - 1 for name, capture in captures.items())
            stored -= len(captures["prefixed"].messages) - 1
            wait_for_rows(
                url,
                "SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM decode_errors"
                " WHERE node_id IS NOT NULL)",
                stored,
            )
            for name, node in nodes.items():
                if node is not None:
                    _wait_for_report(base, node, reports[name]["totals"])
            yield SimpleNamespace(
                base=base, url=url, captures=captures, reports=reports, nodes=nodes
            )
    finally:
        pg.drop_database(url)


def _wait_for_report(base, node, totals, timeout=30.0):
    """Valid counts trail the events by about a second; node pages are kept up to 2 s."""
    deadline = time.monotonic() + timeout
    while True:
        report = get(base, f"/api/nodes/{node}/conformance")
        if report["totals"] == totals or time.monotonic() > deadline:
            return
        time.sleep(0.2)


def get(base, path, status=200):
    response = requests.get(base + path, timeout=10)
    assert response.status_code == status, (path, response.text)
    assert response.headers["Content-Type"] == "application/json"
    return response.json()


def expected(capture, check_report, nodes=1):
    """What the service should report of `nodes` nodes each sending `capture`, by what
    `tart check` says of it once: its totals and kinds, each failure with the first failing
    frame's bytes (the check's hints are its own)."""
    totals = dict(check_report["totals"])
    for name in ("events", "valid", "invalid"):
        totals[name] *= nodes
    kinds = [
        {
            "discriminator": kind["discriminator"],
            "name": kind["name"],
            "frames": kind["frames"] * nodes,
            "valid": kind["valid"] * nodes,
            "invalid": kind["invalid"] * nodes,
            "errors": [
                (
                    error["field_path"],
                    error["byte_offset"],
                    error["reason"],
                    error["count"] * nodes,
                    "0x" + capture.messages[error["first_frame"]].hex(),
                )
                for error in kind["errors"]
            ],
            "distinct_errors": kind["distinct_errors"],
        }
        for kind in check_report["kinds"]
    ]
    return {"totals": totals, "kinds": kinds}


def served(report):
    """A service report as expected() has it."""
    kinds = [
        dict(
            kind,
            errors=[
                (
                    error["field_path"],
                    error["byte_offset"],
                    error["reason"],
                    error["count"],
                    error["first_error"]["raw"],
                )
                for error in kind["errors"]
            ],
        )
        for kind in report["kinds"]
    ]
    return {"totals": report["totals"], "kinds": kinds}


@pytest.mark.parametrize("name", ["example", "classic-0 a", "classic-0 b", "classic-1"])
def test_a_nodes_report_is_what_tart_check_says_of_its_frames(service, name):
    capture, check_report, node = service.captures[name], service.reports[name], service.nodes[name]

    report = get(service.base, f"/api/nodes/{node}/conformance")

    assert served(report) == expected(capture, check_report)
    info = check_report["node_information"]
    assert (report["node_id"], report["implementation_name"], report["implementation_version"]) == (
        node,
        info["implementation_name"],
        info["implementation_version"],
    )
    # Every classic mistake is there, and the report is not all failures.
    assert check_report["totals"]["invalid"] >= 5 and check_report["totals"]["valid"] >= 5


def test_each_failures_first_error_is_the_stored_decode_error(service):
    node = service.nodes["classic-1"]
    report = get(service.base, f"/api/nodes/{node}/conformance")
    stored = {
        error["id"]: error for error in get(service.base, f"/api/nodes/{node}/errors")["errors"]
    }
    failures = [error for kind in report["kinds"] for error in kind["errors"]]
    assert len(failures) == 8  # varint, LEB128, per-core, bool 2 and 3, trailing, 48, short
    for failure in failures:
        assert failure["first_error"] == stored[failure["first_error_id"]]
        assert failure["first_error"]["field_path"] == failure["field_path"]
    (bools,) = [kind for kind in report["kinds"] if kind["discriminator"] == 13]
    assert [(error["reason"][-4:], error["count"]) for error in bools["errors"]] == [
        ("0x02", 2),
        ("0x03", 1),
    ]


def test_an_implementations_report_adds_up_its_nodes(service):
    capture, check_report = service.captures["classic-0 a"], service.reports["classic-0 a"]

    report = get(service.base, "/api/implementations/tartnode/classic-0/conformance")

    assert (report["implementation_name"], report["implementation_version"]) == (
        "tartnode",
        "classic-0",
    )
    assert report["nodes"] == 2
    assert served(report) == expected(capture, check_report, nodes=2)


def test_the_implementations_seen_and_their_figures(service):
    def entry(name, nodes=1):
        info, totals = service.reports[name]["node_information"], service.reports[name]["totals"]
        return {
            "implementation_name": info["implementation_name"],
            "implementation_version": info["implementation_version"],
            "nodes": nodes,
            "events": totals["valid"] * nodes,
            "decode_errors": totals["invalid"] * nodes,
            "kinds_seen": totals["kinds_seen"],
            "kinds_with_errors": totals["kinds_invalid"],
        }

    listed = get(service.base, "/api/implementations")["implementations"]

    # The node whose node information did not decode is no implementation's.
    assert listed == [entry("example"), entry("classic-0 a", nodes=2), entry("classic-1")]


def test_a_node_information_that_does_not_decode_makes_no_node(service):
    info = service.reports["prefixed"]["node_information"]
    assert info["valid"] is False
    assert service.reports["prefixed"]["unchecked_frames"] == 1
    raw = "\\x" + service.captures["prefixed"].messages[0].hex()
    assert query(
        service.url,
        "SELECT field_path, byte_offset, raw::text FROM decode_errors WHERE node_id IS NULL",
    ) == [(info["error"]["field_path"], info["error"]["byte_offset"], raw)]
    get(service.base, f"/api/nodes/{peer_id('prefixed')[2:]}/conformance", status=404)
    get(service.base, "/api/implementations/tartnode/prefixed/conformance", status=404)


def test_unknown_and_malformed_are_json_errors(service):
    unknown = get(service.base, "/api/implementations/tartnode/9.9.9/conformance", status=404)
    assert unknown == {
        "error": "no node reports this implementation name and version",
        "detail": {"implementation_name": "tartnode", "implementation_version": "9.9.9"},
    }
    malformed = get(service.base, "/api/nodes/0xnotanode/conformance", status=400)
    assert malformed["detail"] == {"parameter": "node_id", "value": "0xnotanode"}
    missing = get(service.base, f"/api/nodes/{'ab' * 32}/conformance", status=404)
    assert missing["detail"] == {"node_id": "ab" * 32}


def test_the_docs_service_example_is_what_the_service_says(service):
    document = (REPO / "docs" / "CONFORMANCE.md").read_text()
    ((path, shown),) = re.findall(
        r"```sh\ncurl -s localhost:8080(/api/implementations/\S+) \| jq -c '[^\n]*'\n(.*?)```",
        document,
        re.S,
    )

    report = get(service.base, path)

    # What the jq program shown prints.
    lines = [report["totals"]] + [
        [
            kind["discriminator"],
            kind["errors"][0]["field_path"],
            kind["errors"][0]["byte_offset"],
            kind["errors"][0]["reason"],
        ]
        for kind in report["kinds"]
        if kind["invalid"] > 0
    ]
    assert shown == "".join(
        json.dumps(line, separators=(",", ":"), ensure_ascii=False) + "\n" for line in lines
    )
