"""Every kind of bad frame names the event, the field path, the byte offset and the reason."""

import struct

import pytest

from tart.protocol import DecodeError, EventDecoder, decode_node_information
from tests.support.vectors import GP07_PARAMS, NODE_TAIL

PEER = b"\x01" * 32


def header(discriminator, timestamp=0):
    return struct.pack("<QB", timestamp, discriminator)


def decode_error(message, version=0, cores=341):
    with pytest.raises(DecodeError) as caught:
        EventDecoder(version, cores).decode(message)
    return caught.value


def test_bool_other_than_0_or_1():
    error = decode_error(header(13) + b"\x61")
    assert (error.discriminator, error.event_name) == (13, "SyncStatusChanged")
    assert error.field_path == "SyncStatusChanged.synced"
    assert error.offset == 9
    assert error.reason == "bool must be 0 or 1, got 0x61"


def test_string_longer_than_its_bound():
    # 9380 as a general natural: 2 bytes, a4 a4
    error = decode_error(header(22) + struct.pack("<Q", 1) + bytes.fromhex("a4a4") + b"x" * 10)
    assert error.field_path == "ConnectInFailed.reason"
    assert error.offset == 17
    assert error.reason == "String<128> length 9380 exceeds 128"


def test_trailing_bytes():
    error = decode_error(header(26) + struct.pack("<Q", 1) + b"abc")
    assert error.field_path == "ConnectedOut"
    assert error.offset == 17
    assert error.reason == "3 trailing bytes"


def test_unknown_discriminator():
    error = decode_error(header(48) + b"\x00" * 12)
    assert error.discriminator == 48 and error.event_name is None
    assert error.field_path is None
    assert error.offset == 8
    assert error.reason == "unknown discriminator 48"
    assert str(error) == "event 48: unknown discriminator 48 (at byte 8)"


def test_path_into_nested_lists():
    item = struct.pack("<IIQQI", 7, 100, 5_000, 6_000, 64) + b"\x00" + struct.pack("<H", 3)
    broken = struct.pack("<IIQQI", 7, 100, 5_000, 6_000, 64) + b"\x01" + b"\x33" * 20
    outline = (
        struct.pack("<I", 4096)
        + b"\x55" * 32
        + b"\x66" * 32
        + struct.pack("<I", 99)
        + b"\x00"
        + b"\x02"
        + item
        + broken
    )
    message = header(94) + struct.pack("<QH", 12, 3) + outline
    error = decode_error(message)
    assert error.field_path == "WorkPackageReceived.outline.items[1].imports[0].root"
    import_start = len(message) - 20
    assert error.offset == import_start
    assert error.reason == "truncated: [u8; 32] needs 32 bytes, 20 left"


def test_truncated_fixed_width_integer():
    error = decode_error(header(11) + b"\x01\x02")
    assert error.field_path == "BestBlockChanged.slot"
    assert error.offset == 9
    assert error.reason == "truncated: Slot needs 4 bytes, 2 left"


def test_leb128_length_is_named():
    # LEB128 writes 130 as 82 01; in the GP encoding 82 01 is 513 written in two bytes... which
    # is canonical, so use 128 (LEB128 80 01 = GP non-canonical 1).
    error = decode_error(header(28) + PEER + bytes.fromhex("8001") + b"x")
    assert error.field_path == "PeerMisbehaved.reason"
    assert error.offset == 41
    assert error.reason.startswith("non-canonical natural: 1 encoded in 2 bytes (80 01)")


def test_list_longer_than_the_frame():
    error = decode_error(header(172) + struct.pack("<Q", 1) + bytes.fromhex("8200") + b"\x00" * 6)
    assert error.field_path == "SegmentsVerified.segments"
    assert error.offset == 17
    assert error.reason == "len++ 512 exceeds the 6 bytes left"


def test_invalid_utf8():
    error = decode_error(header(28) + PEER + b"\x02\xc3\x28")
    assert error.field_path == "PeerMisbehaved.reason"
    assert error.offset == 41
    assert error.reason == "String<128> is not valid UTF-8 at byte 0 of the string (0xc3)"


def test_enum_out_of_range():
    error = decode_error(header(60) + PEER + b"\x02")
    assert error.field_path == "BlockAnnouncementStreamOpened.opener"
    assert error.offset == 41
    assert error.reason == "Connection Side must be one of 0 (Local), 1 (Remote); got 2"


def test_option_tag_out_of_range():
    error = decode_error(header(27) + PEER + b"\x05")
    assert error.field_path == "Disconnected.terminator"
    assert error.offset == 41
    assert error.reason == "Option tag must be 0 or 1, got 0x05"


def test_frame_shorter_than_its_header():
    error = decode_error(b"\x00\x01\x02")
    assert error.offset == 0 and error.discriminator is None
    assert "shorter than Timestamp and discriminator" in error.reason


def test_varint_timestamp_shows_as_wrong_layout():
    # A timestamp written as a natural (3 bytes) shifts everything: the "discriminator" is a
    # byte of the slot, or the frame is the wrong size; either way it is refused, never stored.
    message = bytes.fromhex("c00040") + b"\x0b" + struct.pack("<I", 5) + b"\xaa" * 32
    with pytest.raises(DecodeError):
        EventDecoder(0, 341).decode(message)


def test_unsupported_protocol_version_names_the_byte():
    with pytest.raises(DecodeError) as caught:
        decode_node_information(b"\x07" + GP07_PARAMS + NODE_TAIL + b"\x00\x00")
    error = caught.value
    assert error.field_path == "NodeInformation.protocol_version"
    assert error.offset == 0
    assert error.reason == "telemetry protocol version must be 0 … 1, got 7"


def test_length_prefixed_parameters_are_refused():
    message = b"\x00" + bytes((len(GP07_PARAMS),)) + GP07_PARAMS + NODE_TAIL + b"\x00\x00"
    with pytest.raises(DecodeError) as caught:
        decode_node_information(message)
    assert caught.value.field_path.startswith("NodeInformation")
    assert "JAM Parameters in the GP" in caught.value.reason


def test_empty_parameters_are_refused():
    with pytest.raises(DecodeError) as caught:
        decode_node_information(b"\x00" + NODE_TAIL + b"\x00\x00")
    assert caught.value.field_path.startswith("NodeInformation.")
