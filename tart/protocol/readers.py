"""The fast readers that compiled parsers call (``_emitparse`` in ``primitives.py`` and
``composites.py`` names them), and the decoded values' conventions they share with the
interpreter.

They raise on any bad input without explaining it: a frame the compiled parser refuses is
decoded again by the interpreter, which says where and why.
"""

import ipaddress
import socket
import struct
from collections.abc import Mapping
from typing import BinaryIO

# PostgreSQL's JSONB cannot hold U+0000, and a Reason may carry one (it is valid UTF-8). Decoded
# strings show it as U+2400 SYMBOL FOR NULL, which is visible, storable and builds back to NUL.
NUL_SYMBOL = "\u2400"

U64 = struct.Struct("<Q")
IPV4_MAPPED = b"\x00" * 10 + b"\xff\xff"
_ZEROS_12 = bytes(12)


def read_natural(io: BinaryIO) -> int:
    first = io.read(1)[0]
    if first < 0x80:
        return first
    length = 8 - (first ^ 0xFF).bit_length()
    rest = io.read(length)
    if len(rest) != length:
        raise ValueError("truncated natural")
    if length == 8:
        value = U64.unpack(rest)[0]
    else:
        value = ((first & ((1 << (7 - length)) - 1)) << (8 * length)) | int.from_bytes(
            rest, "little"
        )
    if value < 1 << (7 * length):
        raise ValueError("non-canonical natural")
    return value


def read_hex(io: BinaryIO, length: int) -> str:
    data = io.read(length)
    if len(data) != length:
        raise ValueError("truncated bytes")
    return "0x" + data.hex()


def read_string(io: BinaryIO, limit: int) -> str:
    length = read_natural(io)
    if length > limit:
        raise ValueError("string too long")
    data = io.read(length)
    if len(data) != length:
        raise ValueError("truncated string")
    text = data.decode("utf-8")
    return text.replace("\x00", NUL_SYMBOL) if "\x00" in text else text


def read_ip(io: BinaryIO) -> str:
    data = io.read(16)
    if len(data) != 16:
        raise ValueError("truncated address")
    return ip_text(data)


def ip_text(data: bytes) -> str:
    """RFC 5952 text of a 16-byte address; IPv4-mapped addresses as dotted IPv4."""
    if data[:12] == IPV4_MAPPED:
        return socket.inet_ntop(socket.AF_INET, data[12:])
    if data[:12] == _ZEROS_12:
        # libc would write the deprecated IPv4-compatible form (::1.2.3.4) here.
        return str(ipaddress.IPv6Address(data))
    return socket.inet_ntop(socket.AF_INET6, data)


def read_per_core(io: BinaryIO, this: Mapping) -> list[int]:
    cores = this["_params"]["C"]
    data = io.read(cores)
    if len(data) != cores:
        raise ValueError("truncated per-core array")
    return list(data)


def read_bitfield(io: BinaryIO, this: Mapping) -> str:
    return read_hex(io, (this["_params"]["C"] + 7) // 8)
