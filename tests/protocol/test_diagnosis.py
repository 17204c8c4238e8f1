"""Frames with the mistakes encoders are known to make are diagnosed as such; others are not."""

import struct

import pytest

from tart.protocol import (
    DecodeError,
    EventDecoder,
    decode_node_information,
    encode_event,
    encode_natural,
    encode_node_information,
)
from tart.protocol.diagnosis import diagnose_event, diagnose_node_information
from tests.support.node import node_information

TIMESTAMP = 13_132_800_000_000
BEST = {"BestBlockChanged": {"slot": 1234, "hash": "0x" + "ab" * 32}}


def test_a_varint_timestamp():
    message = encode_event(BEST, TIMESTAMP)
    broken = encode_natural(TIMESTAMP) + message[8:]
    assert diagnose_event(broken, 0, 341) == (
        "decodes as BestBlockChanged if its Timestamp is read as a variable-length natural "
        "(7 bytes); a Timestamp is a fixed-width u64 (8 bytes, little-endian)"
    )


def test_a_per_core_array_of_another_core_count():
    status = {
        "Status": {
            "num_peers": 3,
            "num_val_peers": 2,
            "num_sync_peers": 3,
            "num_guarantees": [0, 1],
            "num_shards": 1,
            "shards_size": 2,
            "num_preimages": 3,
            "preimages_size": 4,
        }
    }
    message = encode_event(status, TIMESTAMP, 0, 2)
    assert diagnose_event(message, 0, 341) == (
        "decodes if C is 2: its per-core array has 2 bytes, but the node information says C = 341"
    )


def test_a_core_bitfield_of_another_core_count():
    assurance = {"DistributingAssurance": {"anchor": "0x" + "cd" * 32, "availability": "0xff"}}
    message = encode_event(assurance, TIMESTAMP, 0, 8)
    assert diagnose_event(message, 0, 341) == (
        "decodes with a 1-byte core bitfield, but C = 341 in the node information makes it "
        "ceil(C/8) = 43 bytes"
    )


def test_a_leb128_string_length():
    message = encode_event({"ConnectInFailed": {"connecting_id": 1, "reason": "r" * 128}}, 0)
    broken = message.replace(bytes.fromhex("80 80"), bytes.fromhex("80 01"), 1)
    assert diagnose_event(broken, 0, 2) == (
        "decodes if its lengths are read as LEB128: the length at byte 17 is 80 01, "
        "LEB128 for 128; len++ lengths are GP naturals, 128 is 80 80"
    )


def test_leb128_sequence_lengths_in_nested_lists():
    guarantee = {"work_report_hash": "0x" + "11" * 32, "slot": 7, "guarantors": [1] * 200}
    message = encode_event({"GuaranteeDiscarded": {"outline": guarantee, "reason": "Other"}}, 0)
    assert encode_natural(200) == bytes.fromhex("80 c8")
    broken = message.replace(bytes.fromhex("80 c8"), bytes.fromhex("c8 01"), 1)
    assert diagnose_event(broken, 0, 2) == (
        "decodes if its lengths are read as LEB128: the length at byte 45 is c8 01, "
        "LEB128 for 200; len++ lengths are GP naturals, 200 is 80 c8"
    )


def test_event_61_of_the_other_protocol_version():
    closed = {
        "BlockAnnouncementStreamClosed": {
            "peer_id": "0x" + "33" * 32,
            "closer": "Local",
            "reason": "bye",
        }
    }
    message = encode_event(closed, TIMESTAMP, 0)
    assert diagnose_event(message, 1, 2) == (
        "decodes as protocol version 0's BlockAnnouncementStreamClosed, but the node "
        "information says protocol version 1"
    )


@pytest.mark.parametrize(
    "message",
    [
        b"",
        b"\x00" * 8,
        struct.pack("<QB", TIMESTAMP, 13) + b"\x02",  # bool 2: nothing else would fix it
        struct.pack("<QB", TIMESTAMP, 48) + b"\x00" * 12,
        encode_event(BEST, TIMESTAMP) + b"\x00",
    ],
)
def test_other_mistakes_have_no_diagnosis(message):
    with pytest.raises(DecodeError):
        EventDecoder(0, 2).decode(message)
    assert diagnose_event(message, 0, 2) is None


@pytest.mark.parametrize("layout, size", [("0.7", 134), ("0.8", 122)])
@pytest.mark.parametrize("prefix", ["natural", "u32"])
def test_length_prefixed_jam_parameters(layout, size, prefix):
    message = encode_node_information(node_information("0x" + "22" * 32, 0, layout), layout)
    written = encode_natural(size) if prefix == "natural" else struct.pack("<I", size)
    broken = message[:1] + written + message[1:]
    with pytest.raises(DecodeError):
        decode_node_information(broken)
    assert diagnose_node_information(broken) == (
        f"JAM Parameters carry a length prefix ({written.hex(' ')}, {size}); they are sent "
        f"without one, exactly as the fetch host call returns them"
    )


def test_a_node_information_with_another_mistake_has_no_diagnosis():
    message = encode_node_information(node_information("0x" + "22" * 32), "0.7")
    assert diagnose_node_information(message + b"\x00") is None
