"""The dashboard's parts that need no TART: the filter's grammar, the event log, the rate
meter, the client's URLs, and how frames are shown."""

from datetime import UTC, datetime

import pytest

from tart.client import Event, Missed, base_url
from tart.dash import formats
from tart.dash.blocks import network_score, stage_order
from tart.dash.events import KEEP, EventLog, RateMeter
from tart.dash.filter import EVENT_NAMES, FilterError, parse_filter

NODE_A, NODE_B = "a1" * 32, "b2" * 32


def event(id, event_type=11, node_id=NODE_A, received_at="2026-12-03T18:00:00.500000Z"):
    name = EVENT_NAMES[event_type]
    return Event(id, node_id, id, event_type, received_at, received_at, {name: {"slot": id}})


def test_filter_terms():
    assert parse_filter("").event_types is None and not parse_filter("")
    assert parse_filter("11").event_types == {11}
    assert parse_filter("11,12 90-92").event_types == {11, 12, 90, 91, 92}
    finalized = parse_filter("FINALIZED").event_types
    assert {EVENT_NAMES[t] for t in finalized} == {"FinalizedBlockChanged"}
    assert parse_filter("type:best").event_types == {11}
    both = parse_filter("node:0xA1B2 12")
    assert (both.node_prefix, both.event_types) == ("a1b2", {12})
    assert parse_filter("a1b2c3").node_prefix == "a1b2c3"  # hex with a letter: a node
    for text, complaint in (
        ("1234", "0 to 255"),  # all decimal: not a node (node:1234 is), nor a type
        ("300", "0 to 255"),
        ("12-11", "0 to 255"),
        ("nosuchevent", "no event type is named"),
        ("node:xyz", "hex digits"),
        ("slot:3", "only node: and type:"),
    ):
        with pytest.raises(FilterError, match=complaint):
            parse_filter(text)
    matches = parse_filter("node:b2 11").matches
    assert matches(event(1, 11, NODE_B)) and not matches(event(1, 11)) and not matches(event(1, 12))


def test_the_log_keeps_the_newest_and_narrows_with_history():
    log = EventLog()
    log.start([event(3), event(2), event(1)])  # as the API gives them: newest first
    assert [e.id for e in log.view] == [1, 2, 3] and log.last_id == log.stream_from == 3
    for id in range(4, KEEP + 10):
        log.add(event(id, 11 if id % 2 else 12))
    assert len(log.recent) == KEEP and log.recent[-1].id == log.last_id == KEEP + 9
    assert log.streamed == KEEP + 6

    # Narrowed: what the API had (older), then what the log holds after it, oldest first.
    narrowed = parse_filter("12")
    log.narrow(narrowed, [event(KEEP - 20, 12), event(KEEP - 22, 12)])
    ids = [e.id for e in log.view]
    assert ids[:2] == [KEEP - 22, KEEP - 20] and ids[2] == KEEP - 18
    assert ids == sorted(ids) and all(log.filter.matches(e) for e in log.view)
    log.add(event(KEEP + 10, 11))
    log.add(event(KEEP + 11, 12))
    assert log.view[-1].id == KEEP + 11 and log.view[-2].id == KEEP + 8

    # Too many stored while away to replay: a marker, and the stream goes on after it.
    changes = log.changes
    log.missed(Missed(after_id=KEEP + 11, through_id=KEEP + 20_000))
    assert log.view[-1] == Missed(KEEP + 11, KEEP + 20_000) and log.changes > changes
    assert log.last_id == KEEP + 20_000 and not log.recent


def test_the_rate_meter_counts_seconds_of_tarts_clock():
    now = [1_800_000_010.2]
    meter = RateMeter(clock=lambda: now[0])
    # This machine's clock is 3 s ahead of TART's; events take 0.1 s to arrive.
    for second, count in ((1_800_000_004, 5), (1_800_000_005, 7), (1_800_000_006, 2)):
        for _ in range(count):
            stamp = datetime.fromtimestamp(second + 0.1, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            now[0] = second + 0.2 + 3
            meter.count(stamp)
    assert sum(meter.counts.values()) == 14
    now[0] = 1_800_000_007.7 + 3  # 7.7 on TART's clock: second 6 is complete
    assert meter.series(4) == [0, 5, 7, 2]
    assert meter.per_second() == pytest.approx(14 / 5)
    now[0] += 1  # nothing more came: second 7 counts 0
    assert meter.series(2) == [2, 0]
    # Drawn from zero: a steady rate is level, an idle second empty.
    assert formats.bars([400, 396, 0, 100], height=2).splitlines() == ["██  ", "██ ▄"]


def test_base_urls():
    assert base_url("localhost:8080") == "http://localhost:8080"
    assert base_url("https://tart.example/prefix/") == "https://tart.example/prefix"
    assert base_url("[::1]:8080") == "http://[::1]:8080"
    for url in ("ftp://tart.example", "http://"):
        with pytest.raises(ValueError):
            base_url(url)


def test_a_frame_is_shown_around_the_byte_where_decoding_failed():
    raw = "0x" + "".join(f"{byte:02x}" for byte in range(30))
    shown = formats.marked_bytes(raw, 13)
    assert shown.plain == "…07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16…"
    (marked,) = [span for span in shown.spans if "reverse" in str(span.style)]
    assert shown.plain[marked.start : marked.end] == "0d"
    short = formats.marked_bytes("0x00010203", 4)  # it needed more bytes than there were
    assert short.plain == "00 01 02 03 ⟨end⟩"
    assert formats.summary({"hash": "0x" + "ab" * 32, "slot": 7, "peers": [1, 2]}) == (
        "slot=7 hash=0xabababab… peers=[2]"
    )


def test_the_funnels_stages_merge_and_the_score_lists_three_anomalies():
    primary = ["submitted", "received", "report_built", "guarantee_built", "distributed"]
    secondary = ["submitted", "received", "report_built", "signature_sent"]
    assert stage_order(primary, secondary) == [
        "submitted", "received", "report_built", "signature_sent", "guarantee_built",
        "distributed",
    ]  # fmt: skip
    anomalies = [{"message": f"anomaly {n}"} for n in range(5)]
    shown = network_score({"status": "degraded", "score": 72, "anomalies": anomalies}).plain
    assert shown.splitlines() == [
        "● network 72/100", " anomaly 0", " anomaly 1", " anomaly 2", " and 2 more"
    ]  # fmt: skip
    assert network_score(None, lacking="GET /api/analytics/health: 404").plain == (
        "network score: not in this TART"
    )
