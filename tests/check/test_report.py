"""`tart check --json` on captures made with the codec and broken by hand: the exact report of
valid captures and of what goes wrong beyond single frames (the classic mistakes in single
frames are test_mistakes.py's)."""

import struct

import pytest

from tart.loadgen.frames import Cycle
from tart.loadgen.mixes import script_of
from tart.protocol import (
    EVENTS_BY_VERSION,
    REFERENCES_BY_VERSION,
    encode_event,
    encode_node_information,
)
from tests.support.captures import SYNCED, TIMESTAMP, Capture, best_block, header
from tests.support.check import (
    check,
    check_json,
    first_error,
    kind,
    node_information_entry,
    reference,
    report,
)
from tests.support.node import peer_id


# ---------------------------------------------------------------------------------------------
# Valid captures
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("layout", ["0.7", "0.8"])
@pytest.mark.parametrize("version", [0, 1])
def test_every_kind_valid_in_both_versions_and_layouts(tmp_path, version, layout):
    capture = Capture(version, layout, core_count=341)
    # The load generator's "all" mix: every event once, Dropped(3) first, IDs that name the
    # latest earlier event of a right kind; twice, so IDs are named across a Dropped gap too.
    script = script_of("all", version, 341, [peer_id(i) for i in range(5)])
    cycle = Cycle(script, TIMESTAMP)
    for repetition in (0, 1):
        for _, data in cycle.expected(repetition, cycle.first_slot):
            capture.event(data)
    path = capture.write(tmp_path / "all.bin")

    status, found = check_json(path)

    table = EVENTS_BY_VERSION[version]
    references = [
        reference(discriminator, field, sorted(kinds), checked=2, right=2)
        for discriminator, fields in sorted(REFERENCES_BY_VERSION[version].items())
        for field, kinds in sorted(fields.items())
    ]
    numbering = {
        "next_id": 2 * 117,
        "dropped_events": 2,
        "ids_dropped": 6,
        "dropped": [
            {"frame": 1, "event_id": 0, "count": 3},
            {"frame": 116, "event_id": 117, "count": 3},
        ],
        "problems": [],
    }
    kinds = [kind(discriminator, 2, version=version) for discriminator in sorted(table)]
    assert found == report(capture, path, True, kinds, references, numbering)
    assert found["totals"] == {
        "events": 230,
        "valid": 230,
        "invalid": 0,
        "kinds_seen": 115,
        "kinds_invalid": 0,
    }
    assert found["references"]["checked"] == 2 * (72 + version)
    assert status == 0


def test_standard_input(tmp_path):
    capture = Capture()
    capture.event(best_block(1))
    capture.event(SYNCED)

    status, output = check("-", "--json", stdin=capture.bytes())

    assert status == 0
    assert '"source": "<stdin>"' in output
    assert '"ok": true' in output


# ---------------------------------------------------------------------------------------------
# Beyond single frames: the stream, the numbering, the node information
# ---------------------------------------------------------------------------------------------
def test_a_capture_that_ends_inside_a_frame(tmp_path):
    capture = Capture()
    capture.event(best_block(1))
    cut = capture.bytes() + struct.pack("<I", 45) + encode_event(best_block(2), TIMESTAMP)[:30]
    path = tmp_path / "cut.bin"
    path.write_bytes(cut)

    status, found = check_json(path)

    assert found == report(
        capture,
        path,
        False,
        [kind(11, 1)],
        framing={
            "capture_offset": len(capture.bytes()),
            "reason": "ends inside a frame: its size says 45 bytes, 30 follow",
        },
    )
    assert status == 1


def test_a_big_endian_frame_size(tmp_path):
    capture = Capture()
    capture.event(best_block(1))
    message = encode_event(best_block(2), TIMESTAMP)
    path = tmp_path / "big-endian.bin"
    path.write_bytes(capture.bytes() + struct.pack(">I", len(message)) + message)

    status, found = check_json(path)

    assert found["framing"] == {
        "capture_offset": len(capture.bytes()),
        "reason": "frame size 754974720 (bytes 00 00 00 2d) exceeds TART_MAX_FRAME (1048576); "
        "TART closes the connection here. Read big-endian it would be 45: the size must be "
        "little-endian",
    }
    assert found["frames"] == 2 and found["ok"] is False
    assert status == 1


def test_an_empty_capture(tmp_path):
    path = tmp_path / "empty.bin"
    path.write_bytes(b"")

    status, found = check_json(path)

    assert found["node_information"] is None
    assert (found["frames"], found["ok"], found["kinds"]) == (0, False, [])
    assert status == 1


def test_a_dropped_event_of_zero_reuses_an_id(tmp_path):
    capture = Capture()
    capture.event({"Dropped": {"last_timestamp": TIMESTAMP, "num_dropped": 0}})
    capture.event(best_block(1))
    path = capture.write(tmp_path / "dropped-0.bin")

    status, found = check_json(path)

    problem = {
        "frame": 1,
        "event_id": 0,
        "reason": "Dropped event with count 0: the next event takes the same ID 0",
    }
    numbering = {
        "next_id": 1,
        "dropped_events": 1,
        "ids_dropped": 0,
        "dropped": [{"frame": 1, "event_id": 0, "count": 0}],
        "problems": [problem],
    }
    assert found == report(capture, path, False, [kind(0, 1), kind(11, 1)], (), numbering)
    assert status == 1


def test_a_version_1_node_sending_version_0s_event_61(tmp_path):
    capture = Capture(protocol_version=1)
    closed = {
        "BlockAnnouncementStreamClosed": {
            "peer_id": peer_id(2),
            "closer": "Remote",
            "reason": "shutdown",
        }
    }
    capture.add(encode_event(closed, TIMESTAMP, protocol_version=0))
    path = capture.write(tmp_path / "v1-61.bin")

    status, found = check_json(path)

    # Version 1 reads an Event ID (8 bytes) and a Connection Side where version 0 has a Peer
    # ID: the side is the peer id's ninth byte.
    side = bytes.fromhex(peer_id(2)[2:])[8]
    failure = (
        "BlockAnnouncementStreamClosed.closer",
        17,
        f"Connection Side must be one of 0 (Local), 1 (Remote); got {side}",
        "decodes as protocol version 0's BlockAnnouncementStreamClosed, but the node "
        "information says protocol version 1",
    )
    assert found == report(
        capture,
        path,
        False,
        [kind(61, 1, 1, [(*failure, 1, 1)], first_error(capture, 1, 0, *failure), version=1)],
    )
    assert status == 1


def test_the_most_frequent_failures_of_a_kind_first(tmp_path):
    capture = Capture()
    for byte in (2, 3, 5, 4, 5, 6, 7, 8, 5):
        capture.add(header(13) + bytes((byte,)))
    path = capture.write(tmp_path / "bools.bin")

    status, found = check_json(path)

    (entry,) = found["kinds"]
    assert (entry["frames"], entry["invalid"], entry["distinct_errors"]) == (9, 9, 7)
    assert [
        (error["reason"][-4:], error["count"], error["first_frame"]) for error in entry["errors"]
    ] == [
        ("0x05", 3, 3),
        ("0x02", 1, 1),
        ("0x03", 1, 2),
        ("0x04", 1, 4),
        ("0x06", 1, 6),
    ]
    assert entry["first_error"]["frame"] == 1
    assert status == 1


def test_node_information_warnings(tmp_path):
    # GP 0.8 parameters from a node that says it implements GP 0.7.1, with an undefined flag.
    capture = Capture(params_layout="0.8")
    capture.info.update(gp_version="0.7.1", flags=0x81)
    capture.messages[0] = encode_node_information(capture.info, "0.8")
    capture.event(best_block(1))
    path = capture.write(tmp_path / "warnings.bin")

    status, found = check_json(path)

    assert found["node_information"] == node_information_entry(
        capture,
        gp_version="0.7.1",
        flags=0x81,
        warnings=[
            "JAM Parameters are in the GP 0.8 layout, but gp_version is '0.7.1'",
            "node flags 0x00000081 set bits other than bit 0, which should be 0",
        ],
    )
    # Warnings are advice: the capture conforms.
    assert found["ok"] is True
    assert status == 0


def test_node_information_valid_in_either_layout(tmp_path):
    # In the GP 0.8 reading the name is 15 bytes whose last four are the GP 0.7 reading's three
    # empty strings and its note's length (3), which then takes the 0.8 reading's three empty
    # strings: both layouts leave a valid message, and gp_version ("") decides.
    capture = Capture(params_layout="0.8")
    capture.info.update(
        implementation_name="abcdefghijk\x00\x00\x00\x03",
        implementation_version="",
        gp_version="",
    )
    capture.messages[0] = encode_node_information(capture.info, "0.8")
    path = capture.write(tmp_path / "ambiguous.bin")

    status, found = check_json(path)

    info = found["node_information"]
    assert (info["params_layout"], info["fitting_layouts"]) == ("0.7", ["0.7", "0.8"])
    assert info["warnings"] == [
        "the message is valid with JAM Parameters in either layout; TART reads the GP 0.7 "
        "layout because gp_version is ''",
        # Read so, the flags are four bytes of the 0.8 reading's name.
        "node flags 0x6b6a6968 set bits other than bit 0, which should be 0",
    ]
    assert status == 0


def test_a_node_information_of_another_protocol_version(tmp_path):
    capture = Capture()
    capture.messages[0] = b"\x02" + capture.messages[0][1:]
    capture.event(best_block(1))
    path = capture.write(tmp_path / "version-2.bin")

    status, found = check_json(path)

    assert found["node_information"]["error"] | {"raw": None} == {
        "frame": 0,
        "event_id": None,
        "capture_offset": 0,
        "field_path": "NodeInformation.protocol_version",
        "byte_offset": 0,
        "reason": "telemetry protocol version must be 0 … 1, got 2",
        "hint": None,
        "raw": None,
    }
    assert found["unchecked_frames"] == 1
    assert status == 1
