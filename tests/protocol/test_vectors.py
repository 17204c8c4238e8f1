"""Byte-exact vectors written by hand from the JIP-3 text and NOTES.md, not by our encoder."""

import struct

import pytest

from tart.protocol import (
    EventDecoder,
    decode_node_information,
    encode_event,
    encode_natural,
    encode_node_information,
)
from tart.protocol.primitives import natural
from tests.support.vectors import GP07_PARAMS, GP08_PARAMS, NODE_TAIL


def test_layout_sizes_are_as_the_notes_say():
    assert len(GP07_PARAMS) == 134
    assert len(GP08_PARAMS) == 122


def test_node_information_gp07():
    message = b"\x00" + GP07_PARAMS + NODE_TAIL + b"\x05" + b"0.7.1" + b"\x00"
    info = decode_node_information(message)
    assert info.params_layout == "0.7"
    assert info.protocol_version == 0
    assert info.core_count == 2
    fields = info.fields
    assert fields["params"]["validator_count"] == 1023
    assert fields["params"]["max_refine_gas"] == 5_000_000_000
    assert fields["params"]["ticket_submission_end"] == 500
    assert fields["genesis"] == "0x" + "11" * 32
    assert fields["peer_id"] == "0x" + "22" * 32
    assert fields["peer_address"] == {"address": "127.0.0.1", "port": 40000}
    assert fields["flags"] == 1
    assert fields["implementation_name"] == "PolkaJam"
    assert fields["implementation_version"] == "0.1.0"
    assert fields["gp_version"] == "0.7.1"
    assert fields["note"] == ""
    assert encode_node_information(fields, "0.7") == message


def test_node_information_gp08_protocol_version_1():
    note = "n" * 512
    message = (
        b"\x01"
        + GP08_PARAMS
        + NODE_TAIL
        + b"\x05"
        + b"0.8.0"
        + bytes.fromhex("8200")
        + note.encode()
    )
    info = decode_node_information(message)
    assert info.params_layout == "0.8"
    assert info.protocol_version == 1
    assert "validator_count" not in info.fields["params"]
    assert info.fields["params"]["max_exports"] == 3072
    assert info.fields["note"] == note
    assert encode_node_information(info.fields, "0.8") == message


def test_status_with_two_cores():
    message = bytes.fromhex(
        "40420f0000000000"  # timestamp 1,000,000 µs
        "0a"  # discriminator 10
        "05000000"
        "03000000"
        "02000000"  # peers, validator peers, stream peers
        "0100"  # [u8; 2] guarantees by core
        "07000000"  # shards
        "0010000000000000"  # shards size 4096
        "01000000"
        "64000000"  # preimages, preimages size 100
    )
    event = EventDecoder(0, 2).decode(message)
    assert event.name == "Status" and event.timestamp == 1_000_000
    assert event.data == {
        "Status": {
            "num_peers": 5,
            "num_val_peers": 3,
            "num_sync_peers": 2,
            "num_guarantees": [1, 0],
            "num_shards": 7,
            "shards_size": 4096,
            "num_preimages": 1,
            "preimages_size": 100,
        }
    }
    assert encode_event(event.data, 1_000_000, core_count=2) == message


def test_best_block_changed():
    message = bytes.fromhex("0060d71d140000000bd2040000" + "aa" * 32)
    event = EventDecoder(0, 341).decode(message)
    assert event.timestamp == 86_400_000_000  # one day into the JAM Common Era
    assert event.time.isoformat() == "2025-01-02T12:00:00+00:00"
    assert event.data == {"BestBlockChanged": {"slot": 1234, "hash": "0x" + "aa" * 32}}


def test_dropped():
    message = bytes.fromhex("01000000000000000002000000000000002c01000000000000")
    event = EventDecoder(0, 341).decode(message)
    assert event.data == {"Dropped": {"last_timestamp": 2, "num_dropped": 300}}
    assert event.dropped == 300


def test_block_executed_with_200_services():
    exec_cost = struct.pack("<QQ", 1000, 2000)
    cost = (
        struct.pack("<III", 1, 2, 3)
        + exec_cost
        + struct.pack("<Q", 55)
        + exec_cost * 5
        + struct.pack("<Q", 77)
        + exec_cost
    )
    assert len(cost) == 140
    entries = b"".join(struct.pack("<I", service) + cost for service in range(200))
    message = struct.pack("<QB", 9, 47) + struct.pack("<Q", 7) + bytes.fromhex("80c8") + entries
    event = EventDecoder(0, 341).decode(message)
    accumulated = event.fields["accumulated"]
    assert event.fields["authoring_or_importing_id"] == 7
    assert len(accumulated) == 200
    assert accumulated[199]["service"] == 199
    assert accumulated[0]["cost"]["num_items"] == 3
    assert accumulated[0]["cost"]["transfer_gas"] == 77
    assert accumulated[0]["cost"]["other_host_calls"] == {"gas_used": 1000, "elapsed_ns": 2000}
    assert encode_event(event.data, 9) == message


def test_work_package_received_with_imports():
    item = (
        struct.pack("<IIQQI", 7, 100, 5_000, 6_000, 64)
        + b"\x02"  # len++ imports
        + b"\x33" * 32
        + struct.pack("<H", 1)  # segments-root import, index 1
        + b"\x44" * 32
        + struct.pack("<H", 0x8002)  # work-package-hash import, 2^15 + 2
        + struct.pack("<H", 3)
    )  # exported segments
    outline = (
        struct.pack("<I", 4096)
        + b"\x55" * 32
        + b"\x66" * 32
        + struct.pack("<I", 99)
        + b"\x01"
        + b"\x77" * 32  # len++ prerequisites
        + b"\x02"
        + item
        + item
    )  # len++ items
    message = struct.pack("<QB", 1, 94) + struct.pack("<QH", 12, 3) + outline
    event = EventDecoder(0, 341).decode(message)
    received = event.data["WorkPackageReceived"]
    assert received["submission_or_share_id"] == 12 and received["core"] == 3
    assert received["outline"]["lookup_anchor_slot"] == 99
    assert received["outline"]["prerequisites"] == ["0x" + "77" * 32]
    second = received["outline"]["items"][1]
    assert second["service"] == 7 and second["num_exports"] == 3
    assert second["imports"] == [
        {"root": "0x" + "33" * 32, "export_index": 1},
        {"root": "0x" + "44" * 32, "export_index": 0x8002},
    ]
    assert encode_event(event.data, 1) == message


def test_event_61_in_both_versions():
    v0 = struct.pack("<QB", 5, 61) + b"\x99" * 32 + b"\x01" + b"\x04" + b"gone"
    v1 = struct.pack("<QB", 5, 61) + struct.pack("<Q", 42) + b"\x00" + b"\x00"
    assert EventDecoder(0, 341).decode(v0).data == {
        "BlockAnnouncementStreamClosed": {
            "peer_id": "0x" + "99" * 32,
            "closer": "Remote",
            "reason": "gone",
        }
    }
    assert EventDecoder(1, 341).decode(v1).data == {
        "BlockAnnouncementStreamClosed": {"opened_id": 42, "closer": "Local", "reason": ""}
    }


NATURALS = [
    (0, "00"),
    (1, "01"),
    (127, "7f"),
    (128, "8080"),
    (200, "80c8"),
    (512, "8200"),
    (16383, "bfff"),
    (16384, "c00040"),
    (2**21 - 1, "dfffff"),
    (2**56 - 1, "fe" + "ff" * 7),
    (2**56, "ff" + "00" * 7 + "01"),
    (2**64 - 1, "ff" + "ff" * 8),
]


@pytest.mark.parametrize("value,encoded", NATURALS)
def test_general_natural_numbers(value, encoded):
    assert encode_natural(value) == bytes.fromhex(encoded)
    assert natural.parse(bytes.fromhex(encoded)) == value


def test_a_200_byte_reason_length_is_two_bytes_not_leb128():
    reason = "r" * 120 + "s" * 8  # 128 bytes: the longest Reason, length 80 80
    message = struct.pack("<QB", 0, 28) + b"\x01" * 32 + bytes.fromhex("8080") + reason.encode()
    assert EventDecoder(0, 341).decode(message).fields["reason"] == reason


def test_reason_with_nul_is_decoded_as_the_nul_symbol():
    message = struct.pack("<QB", 0, 28) + b"\x01" * 32 + b"\x03a\x00b"
    assert EventDecoder(0, 341).decode(message).fields["reason"] == "a\u2400b"
    assert (
        encode_event({"PeerMisbehaved": {"peer_id": "0x" + "01" * 32, "reason": "a\u2400b"}}, 0)
        == message
    )


@pytest.mark.parametrize(
    "raw,text",
    [
        ("00000000000000000000ffff0a000001", "10.0.0.1"),
        ("00000000000000000000000000000001", "::1"),
        ("00000000000000000000000000000000", "::"),
        ("00000000000000000000000001020304", "::102:304"),
        ("20010db8000000000000000000000001", "2001:db8::1"),
        ("20010db8000100000000000100000001", "2001:db8:1::1:0:1"),
        ("fe800000000000000000000000000000", "fe80::"),
    ],
)
def test_peer_address_text_is_rfc5952(raw, text):
    message = struct.pack("<QB", 0, 20) + bytes.fromhex(raw) + struct.pack("<H", 30333)
    assert EventDecoder(0, 341).decode(message).fields["from"] == {"address": text, "port": 30333}
