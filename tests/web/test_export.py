"""Exporting stored events: the seed's curl example, paging to the end, and `tart export`, against
real `tart ingest` and gunicorn."""

import contextlib
import csv
import io
import json
import os
import pty
import random
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from tart.protocol import EVENTS, frame
from tart.protocol.samples import sample
from tests.support.ingest import query, running_ingest, wait_for_rows
from tests.support.node import TelemetryNode, best_block
from tests.support.procs import tart
from tests.support.web import running_web

STORED = 1100  # more than one page of 1000


@pytest.fixture(scope="module")
def stack(pg):
    """Ingest and web over STORED events of two nodes: node a's best blocks and (every third)
    Authored events, node b's best blocks. Only read by the tests, so shared by them."""
    url = pg.fresh_database()
    rng = random.Random(15)
    try:
        with running_ingest(url) as (host, port, _), running_web(url, workers=1) as (web, _):
            with TelemetryNode(host, port) as a, TelemetryNode(host, port, name="pbnj") as b:
                a.send_bytes(
                    b"".join(
                        frame(
                            a.encode(
                                best_block(slot)
                                if slot % 3
                                else {"Authored": sample(EVENTS[42], 2, rng)}
                            )
                        )
                        for slot in range(STORED - 100)
                    )
                )
                b.send_bytes(b"".join(frame(b.encode(best_block(slot))) for slot in range(100)))
                wait_for_rows(url, "SELECT count(*) FROM events", STORED)
            yield f"http://127.0.0.1:{web}", a.node_id, b.node_id, url
    finally:
        pg.drop_database(url)


def get(base, path, status=200):
    response = requests.get(base + path, timeout=30)
    assert response.status_code == status, (path, response.text)
    return response.json()


def test_the_seeds_curl_export_gets_1000_events_not_a_400(stack):
    base, *_ = stack
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "events.json"
        # The seed README's line, as written (with our port).
        subprocess.run(
            f'curl -s "{base}/api/events?limit=10000" | jq > {out}',
            shell=True,
            check=True,
            timeout=60,
        )
        body = json.loads(out.read_text())
    assert len(body["events"]) == 1000
    assert body["has_more"] is True
    ids = [event["id"] for event in body["events"]]
    assert ids == sorted(ids, reverse=True)


@pytest.mark.parametrize("limit, count", [("0", 1), ("-1", 1), ("-99999999999999999999", 1)])
def test_limits_below_one_are_clamped_to_one(stack, limit, count):
    base, *_ = stack
    assert len(get(base, f"/api/events?limit={limit}")["events"]) == count


def test_a_node_list_clamps_too_and_says_when_it_is_complete(stack):
    base, _, b, _ = stack
    body = get(base, f"/api/nodes/{b}/events?limit=5000")
    assert len(body["events"]) == 100 and body["has_more"] is False
    body = get(base, f"/api/nodes/{b}/events?limit=99")
    assert len(body["events"]) == 99 and body["has_more"] is True


def test_offset_pages_like_the_rust_tart_and_is_bounded(stack):
    base, *_ = stack
    newest = [event["id"] for event in get(base, "/api/events?limit=30")["events"]]
    page = get(base, "/api/events?limit=10&offset=10")
    assert [event["id"] for event in page["events"]] == newest[10:20]
    assert page["has_more"] is True
    last = get(base, f"/api/events?limit=10&offset={STORED - 5}")
    assert len(last["events"]) == 5 and last["has_more"] is False
    types = get(base, "/api/events?event_type=11,42&limit=3&offset=3")["events"]
    assert [event["id"] for event in types] == newest[3:6]
    error = get(base, "/api/events?offset=100001", status=400)
    assert error["detail"]["parameter"] == "offset" and "100000" in error["error"]
    get(base, "/api/events?offset=-1", status=400)


def test_paging_with_since_id_and_next_exports_everything_once(stack):
    base, *_ = stack
    seen, cursor, pages = [], 0, 0
    while True:
        page = get(base, f"/api/events?since_id={cursor}&limit=1000")
        seen += [event["id"] for event in page["events"]]
        cursor, pages = page["next"], pages + 1
        if not page["has_more"]:
            break
    assert pages == 2 and len(seen) == STORED and seen == sorted(set(seen))


def test_a_time_range_selects_by_when_tart_received(stack):
    base, *_ = stack
    everything = get(base, "/api/events?limit=1000&since_id=0")["events"]
    middle = everything[500]["received_at"]
    later = get(base, f"/api/events?limit=1000&since_id=0&since={middle}")["events"]
    assert later and all(event["received_at"] >= middle for event in later)
    earlier = get(base, f"/api/events?limit=1000&since_id=0&until={middle}")["events"]
    assert earlier and all(event["received_at"] < middle for event in earlier)
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert (
        get(base, "/api/events", status=200)
        and not get(base, f"/api/events?since={requests.utils.quote(future)}")["events"]
    )
    assert get(base, "/api/events?since=yesterday", status=400)["detail"]["parameter"] == "since"


def export(*args, stderr=subprocess.PIPE):
    return subprocess.run(
        tart("export", *args), stdout=subprocess.PIPE, stderr=stderr, text=True, timeout=120
    )


def test_tart_export_writes_every_event_as_json_lines(stack):
    base, _, _, url = stack
    result = export("--url", base)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # not a terminal: no progress bar
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    stored = [row[0] for row in query(url, "SELECT id FROM events ORDER BY id")]
    assert [event["id"] for event in lines] == stored
    newest = get(base, "/api/events?limit=1")["events"][0]
    assert lines[-1] == newest  # each line is the event as the API shows it


def test_tart_export_filters_and_writes_csv_to_a_file(stack):
    base, a, _, _ = stack
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "blocks.csv"
        result = export("--url", base, "--format", "csv", "-o", str(out), "--node", a[:6])
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
        rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == STORED - 100 and {row["node_id"] for row in rows} == {a}
    assert rows[1]["event_type"] == "11" and rows[1]["event_name"] == "BestBlockChanged"
    assert json.loads(rows[1]["data"]) == best_block(1)
    authored_only = export("--url", base, "--type", "40-42")
    assert {json.loads(line)["event_type"] for line in authored_only.stdout.splitlines()} == {42}
    assert len(authored_only.stdout.splitlines()) == len(range(0, STORED - 100, 3))
    bad = export("--url", base, "--type", "300")
    assert bad.returncode != 0 and "event_type must be" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_tart_export_draws_a_progress_bar_on_a_terminal_only(stack):
    base, *_ = stack
    primary, secondary = pty.openpty()
    try:
        result = export("--url", base, "--node", stack[2], stderr=secondary)
        os.close(secondary)
        secondary = None
        drawn = b""
        with contextlib.suppress(OSError):
            while chunk := os.read(primary, 4096):
                drawn += chunk
    finally:
        os.close(primary)
        if secondary is not None:
            os.close(secondary)
    assert result.returncode == 0
    assert len(result.stdout.splitlines()) == 100
    assert b"exporting" in drawn and b"100%" in drawn


def test_tart_export_says_when_tart_cannot_be_reached():
    result = export("--url", "http://127.0.0.1:9")
    assert result.returncode != 0 and "cannot reach TART" in result.stderr
    assert "Traceback" not in result.stderr
