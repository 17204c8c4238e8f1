"""`tart check --json` on the classic mistakes of JIP-3 encoders, one capture each: valid frames
around one broken by hand, from a node of either protocol version (whose events these are the
same) and either JAM Parameters layout. The exact report."""

import pytest

from tart.protocol import encode_event, encode_natural
from tests.support.captures import (
    CONNECTING_IN,
    CONNECTING_OUT,
    SYNCED,
    TIMESTAMP,
    Capture,
    best_block,
    header,
    status,
    varint_timestamp,
)
from tests.support.check import check_json, first_error, kind, reference, report
from tests.support.node import peer_id

EITHER_NODE = pytest.mark.parametrize("version, layout", [(0, "0.7"), (1, "0.8")])


@EITHER_NODE
def test_varint_timestamp(tmp_path, version, layout):
    capture = Capture(version, layout)
    capture.event(best_block(1))
    capture.add(varint_timestamp(encode_event(best_block(2), TIMESTAMP, version)))
    capture.event(best_block(3))
    path = capture.write(tmp_path / "varint.bin")

    status, found = check_json(path)

    # 7 bytes of natural, then 0x0b: the u64 Timestamp takes the discriminator too, and the
    # slot's first byte (2) is read as the discriminator.
    hint = (
        "decodes as BestBlockChanged if its Timestamp is read as a variable-length natural "
        "(7 bytes); a Timestamp is a fixed-width u64 (8 bytes, little-endian)"
    )
    failure = (None, 8, "unknown discriminator 2", hint)
    assert found == report(
        capture,
        path,
        False,
        [
            kind(2, 1, 1, [(*failure, 1, 2)], first_error(capture, 2, 1, *failure), version),
            kind(11, 2, version=version),
        ],
    )
    assert status == 1


@EITHER_NODE
def test_leb128_lengths(tmp_path, version, layout):
    capture = Capture(version, layout)
    capture.event(CONNECTING_IN)
    failed = encode_event(
        {"ConnectInFailed": {"connecting_id": 0, "reason": "r" * 128}}, 0, version
    )
    capture.add(failed.replace(bytes.fromhex("80 80"), bytes.fromhex("80 01"), 1))
    outline = {"work_report_hash": "0x" + "11" * 32, "slot": 7, "guarantors": [1] * 200}
    discarded = encode_event(
        {"GuaranteeDiscarded": {"outline": outline, "reason": "Other"}}, 0, version
    )
    capture.add(discarded.replace(bytes.fromhex("80 c8"), bytes.fromhex("c8 01"), 1))
    path = capture.write(tmp_path / "leb128.bin")

    status, found = check_json(path)

    reason_failure = (
        "ConnectInFailed.reason",
        17,
        "non-canonical natural: 1 encoded in 2 bytes (80 01); LEB128 instead of the GP encoding?",
        "decodes if its lengths are read as LEB128: the length at byte 17 is 80 01, LEB128 for "
        "128; len++ lengths are GP naturals, 128 is 80 80",
    )
    # c8 as a GP natural says two more bytes follow: 8·2^16 + 0x0101 = 524545 guarantors.
    guarantors_failure = (
        "GuaranteeDiscarded.outline.guarantors",
        45,
        "len++ 524545 exceeds the 400 bytes left",
        "decodes if its lengths are read as LEB128: the length at byte 45 is c8 01, LEB128 for "
        "200; len++ lengths are GP naturals, 200 is 80 c8",
    )
    assert found == report(
        capture,
        path,
        False,
        [
            kind(21, 1),
            kind(22, 1, 1, [(*reason_failure, 1, 2)], first_error(capture, 2, 1, *reason_failure)),
            kind(
                113,
                1,
                1,
                [(*guarantors_failure, 1, 3)],
                first_error(capture, 3, 2, *guarantors_failure),
            ),
        ],
    )
    assert status == 1


@pytest.mark.parametrize(
    "version, layout, size, prefix, message, offset, late",
    [
        # Read with the prefix, every field after it is two bytes late; the message ends in 7
        # bytes that no field takes.
        (0, "0.7", 134, "80 86", 245, 238, "7 trailing bytes (reading JAM Parameters in the GP "
         "0.7 layout; the GP 0.8 layout fails earlier)"),
        # 122 is a one-byte natural: one byte late, one left over.
        (1, "0.8", 122, "7a", 232, 231, "1 trailing byte (reading JAM Parameters in the GP 0.8 "
         "layout; the GP 0.7 layout fails earlier)"),
    ],
)  # fmt: skip
def test_length_prefixed_jam_parameters(
    tmp_path, version, layout, size, prefix, message, offset, late
):
    capture = Capture(version, layout)
    capture.messages[0] = capture.messages[0][:1] + encode_natural(size) + capture.messages[0][1:]
    capture.event(best_block(1))
    capture.event(SYNCED)
    path = capture.write(tmp_path / "prefixed.bin")

    status, found = check_json(path)

    # The diagnosis reads it without the prefix.
    info = capture.messages[0]
    assert found["node_information"] == {
        "valid": False,
        "capture_offset": 0,
        "size": message,
        "error": {
            "frame": 0,
            "event_id": None,
            "capture_offset": 0,
            "field_path": "NodeInformation",
            "byte_offset": offset,
            "reason": late,
            "hint": f"JAM Parameters carry a length prefix ({prefix}, {size}); they are sent "
            f"without one, exactly as the fetch host call returns them",
            "raw": "0x" + info.hex(),
        },
    }
    assert found["unchecked_frames"] == 2
    assert found["kinds"] == [] and found["totals"]["events"] == 0
    assert found["ok"] is False
    assert status == 1


@EITHER_NODE
def test_truncated_per_core_array(tmp_path, version, layout):
    capture = Capture(version, layout, core_count=4)
    capture.event(status(4))
    capture.add(encode_event(status(2), TIMESTAMP, version, 2))
    path = capture.write(tmp_path / "per-core.bin")

    status_code, found = check_json(path)

    # Two bytes short: the fields after the array shift, and the last one runs out.
    failure = (
        "Status.preimages_size",
        41,
        "truncated: u32 needs 4 bytes, 2 left",
        "decodes if C is 2: its per-core array has 2 bytes, but the node information says C = 4",
    )
    assert found == report(
        capture,
        path,
        False,
        [kind(10, 2, 1, [(*failure, 1, 2)], first_error(capture, 2, 1, *failure))],
    )
    assert status_code == 1


@EITHER_NODE
def test_bool_2(tmp_path, version, layout):
    capture = Capture(version, layout)
    capture.event(SYNCED)
    capture.add(header(13) + b"\x02")
    path = capture.write(tmp_path / "bool.bin")

    status, found = check_json(path)

    failure = ("SyncStatusChanged.synced", 9, "bool must be 0 or 1, got 0x02", None)
    assert found == report(
        capture,
        path,
        False,
        [kind(13, 2, 1, [(*failure, 1, 2)], first_error(capture, 2, 1, *failure))],
    )
    assert status == 1


@EITHER_NODE
def test_trailing_bytes(tmp_path, version, layout):
    capture = Capture(version, layout)
    capture.add(encode_event(best_block(1), TIMESTAMP, version) + b"\x00\x00")
    capture.event(best_block(2))
    path = capture.write(tmp_path / "trailing.bin")

    status, found = check_json(path)

    failure = ("BestBlockChanged", 45, "2 trailing bytes", None)
    assert found == report(
        capture,
        path,
        False,
        [kind(11, 2, 1, [(*failure, 1, 1)], first_error(capture, 1, 0, *failure))],
    )
    assert status == 1


@EITHER_NODE
def test_unknown_discriminator(tmp_path, version, layout):
    capture = Capture(version, layout)
    capture.event(best_block(1))
    capture.add(header(48) + b"\x00" * 12)
    capture.add(header(48) + b"\x00" * 12)
    capture.event(best_block(2))
    path = capture.write(tmp_path / "unknown.bin")

    status, found = check_json(path)

    failure = (None, 8, "unknown discriminator 48", None)
    assert found == report(
        capture,
        path,
        False,
        [
            kind(11, 2),
            kind(48, 2, 2, [(*failure, 2, 2)], first_error(capture, 2, 1, *failure)),
        ],
    )
    assert status == 1


@EITHER_NODE
def test_event_ids_that_name_the_wrong_events(tmp_path, version, layout):
    capture = Capture(version, layout)
    capture.event(CONNECTING_IN)  # frame 1, ID 0
    capture.event(CONNECTING_OUT)  # frame 2, ID 1
    capture.event({"ConnectedOut": {"connecting_id": 1}})  # ID 2: right
    capture.event({"ConnectedOut": {"connecting_id": 0}})  # ID 3: a ConnectingIn
    capture.event({"ConnectedIn": {"connecting_id": 9, "peer_id": peer_id(1)}})  # ID 4: ahead
    capture.event({"Dropped": {"last_timestamp": TIMESTAMP, "num_dropped": 3}})  # ID 5; 6, 7
    capture.event({"ConnectInFailed": {"connecting_id": 6, "reason": ""}})  # ID 8: dropped
    capture.add(encode_event(CONNECTING_OUT, TIMESTAMP, version) + b"\x00")  # ID 9: undecoded
    capture.event({"ConnectOutFailed": {"connecting_id": 9, "reason": "timeout"}})  # ID 10
    capture.add(b"\x00" * 5)  # ID 11: no kind at all
    capture.event({"ConnectedOut": {"connecting_id": 11}})  # ID 12: cannot be told
    capture.event({"ConnectedIn": {"connecting_id": 0, "peer_id": peer_id(1)}})  # ID 13: right
    path = capture.write(tmp_path / "references.bin")

    status, found = check_json(path)

    trailing = ("ConnectingOut", 59, "1 trailing byte", None)
    short = (
        None,
        0,
        "frame of 5 bytes is shorter than Timestamp and discriminator (9 bytes)",
        None,
    )
    short_kind = kind(0, 1, 1, [(*short, 1, 10)], first_error(capture, 10, 11, *short))
    short_kind.update(discriminator=None, name=None)
    kinds = [
        kind(0, 1),
        kind(21, 1),
        kind(22, 1),
        kind(23, 2),
        kind(24, 2, 1, [(*trailing, 1, 8)], first_error(capture, 8, 9, *trailing)),
        kind(25, 1),
        kind(26, 3),
        short_kind,
    ]
    references = [
        reference(22, "connecting_id", [21], checked=1, unresolvable=1),
        reference(
            23,
            "connecting_id",
            [21],
            checked=2,
            right=1,
            wrong=1,
            first={
                "frame": 5,
                "event_id": 4,
                "refers_to": 9,
                "found": None,
                "reason": "names ID 9, which is not earlier than its own ID",
            },
        ),
        reference(25, "connecting_id", [24], checked=1, unresolvable=1),
        reference(
            26,
            "connecting_id",
            [24],
            checked=3,
            right=1,
            wrong=1,
            unresolvable=1,
            first={
                "frame": 4,
                "event_id": 3,
                "refers_to": 0,
                "found": {"discriminator": 21, "name": "ConnectingIn"},
                "reason": "names ID 0, a ConnectingIn (21)",
            },
        ),
    ]
    numbering = {
        "next_id": 14,
        "dropped_events": 1,
        "ids_dropped": 3,
        "dropped": [{"frame": 6, "event_id": 5, "count": 3}],
        "problems": [],
    }
    expected = report(capture, path, False, kinds, references, numbering)
    assert found == expected
    assert found["references"] | {"fields": None} == {
        "checked": 7,
        "right": 2,
        "wrong": 2,
        "unresolvable": 3,
        "fields": None,
    }
    assert status == 1


def test_references_alone_fail_a_capture_whose_frames_all_decode(tmp_path):
    capture = Capture()
    capture.event(CONNECTING_IN)
    capture.event({"ConnectedOut": {"connecting_id": 0}})
    path = capture.write(tmp_path / "reference.bin")

    status, found = check_json(path)

    assert found["totals"]["invalid"] == 0
    assert found["references"]["wrong"] == 1
    assert found["ok"] is False
    assert status == 1
