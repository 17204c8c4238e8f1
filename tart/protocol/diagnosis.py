"""Why a frame did not decode, when it is one of the mistakes JIP-3 encoders are known to make
(NOTES.md beside the spec): the frame is read again as that mistake would have written it, and a
reading that decodes exactly is the diagnosis. Run only on frames that failed; never on the
path of frames that decode.
"""

import struct
from io import BytesIO

from construct import SizeofError

from tart.protocol.codec import EventDecoder, _parse_exactly, decode_node_information
from tart.protocol.errors import DecodeError, FieldError
from tart.protocol.events import DISCRIMINATOR_OFFSET, EVENT_HEADER_SIZE, EVENTS_BY_VERSION
from tart.protocol.node_information import NodeInformationGP07, NodeInformationGP08
from tart.protocol.primitives import encode_natural, natural

_U64 = struct.Struct("<Q")
_PARAMETER_SIZES = {
    NodeInformationGP07.params.sizeof(): "0.7",
    NodeInformationGP08.params.sizeof(): "0.8",
}


def diagnose_event(message: bytes, protocol_version: int, core_count: int) -> str | None:
    """What is likely wrong with an event frame that failed to decode, or None."""
    for diagnosis in (_varint_timestamp, _core_count, _leb128_lengths, _other_version):
        found = diagnosis(message, protocol_version, core_count)
        if found:
            return found
    return None


def diagnose_node_information(message: bytes) -> str | None:
    """What is likely wrong with a node-information message that failed to decode, or None."""
    for read in (_fixed(1), _natural_at, _fixed(2), _fixed(4)):
        prefix = read(message, 1)
        if prefix is None or prefix[0] not in _PARAMETER_SIZES:
            continue
        value, length = prefix
        if _decodes_as_node_information(message[:1] + message[1 + length :]):
            return (
                f"JAM Parameters carry a length prefix ({message[1 : 1 + length].hex(' ')}, "
                f"{value}); they are sent without one, exactly as the fetch host call returns them"
            )
    return None


# ---------------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------------
def _varint_timestamp(message, version, cores):
    read = _natural_at(message, 0)
    if read is None or read[1] == 8:
        return None
    timestamp, length = read
    event = _decode(_U64.pack(timestamp) + message[length:], version, cores)
    if event is None:
        return None
    return (
        f"decodes as {event.name} if its Timestamp is read as a variable-length natural "
        f"({length} byte{'s' if length > 1 else ''}); a Timestamp is a fixed-width u64 "
        f"(8 bytes, little-endian)"
    )


def _core_count(message, version, cores):
    """Status's [u8; C] and Distributing assurance's [u8; ceil(C/8)] sized by another C."""
    if len(message) < EVENT_HEADER_SIZE:
        return None
    event = EVENTS_BY_VERSION[version].get(message[DISCRIMINATOR_OFFSET])
    if event is None:
        return None
    try:
        fixed = event.sizeof(C=0)
        per_core = event.sizeof(C=8) - fixed  # 8 bytes if per core, 1 if per 8 cores
    except SizeofError:
        return None
    if not per_core:
        return None
    sent = len(message) - EVENT_HEADER_SIZE - fixed
    if sent < 0 or _decode(message, version, sent * 8 // per_core) is None:
        return None
    expected = (cores * per_core + 7) // 8
    if per_core == 8:
        return (
            f"decodes if C is {sent}: its per-core array has {sent} "
            f"byte{'s' if sent != 1 else ''}, but the node information says C = {cores}"
        )
    return (
        f"decodes with a {sent}-byte core bitfield, but C = {cores} in the node information "
        f"makes it ceil(C/8) = {expected} bytes"
    )


def _leb128_lengths(message, version, cores):
    if (
        len(message) < EVENT_HEADER_SIZE
        or message[DISCRIMINATOR_OFFSET] not in EVENTS_BY_VERSION[version]
    ):
        return None
    noted = []
    try:
        _parse_exactly(
            EVENTS_BY_VERSION[version][message[DISCRIMINATOR_OFFSET]],
            message,
            EVENT_HEADER_SIZE,
            {"C": cores, "leb128": noted},
        )
    except DecodeError:
        return None
    if not noted:
        return None  # below 128 LEB128 and the GP encoding agree: not what is wrong
    offset, written, value = noted[0]
    return (
        f"decodes if its lengths are read as LEB128: the length at byte {offset} is "
        f"{written.hex(' ')}, LEB128 for {value}; len++ lengths are GP naturals, "
        f"{value} is {encode_natural(value).hex(' ')}"
    )


def _other_version(message, version, cores):
    """Event 61 is the one that differs between protocol versions 0 and 1."""
    if len(message) < EVENT_HEADER_SIZE:
        return None
    for other, table in EVENTS_BY_VERSION.items():
        if other != version and table.get(message[DISCRIMINATOR_OFFSET]) is not EVENTS_BY_VERSION[
            version
        ].get(message[DISCRIMINATOR_OFFSET]):
            event = _decode(message, other, cores)
            if event is not None:
                return (
                    f"decodes as protocol version {other}'s {event.name}, but the node "
                    f"information says protocol version {version}"
                )
    return None


def _decode(message, version, cores):
    try:
        return EventDecoder(version, cores).decode(message)
    except DecodeError:
        return None


# ---------------------------------------------------------------------------------------------
# Reading numbers
# ---------------------------------------------------------------------------------------------
def _natural_at(message, offset):
    """(value, length) of the GP natural at ``offset``, or None."""
    stream = BytesIO(message)
    stream.seek(offset)
    try:
        value = natural._parse(stream, None, None)
    except FieldError:
        return None
    return value, stream.tell() - offset


def _fixed(width):
    def read(message, offset):
        if len(message) < offset + width:
            return None
        return int.from_bytes(message[offset : offset + width], "little"), width

    return read


def _decodes_as_node_information(message):
    try:
        decode_node_information(message)
    except DecodeError:
        return False
    return True
