"""The leaf building blocks of JIP-3 messages, as construct pieces; ``composites.py`` makes
records, sequences and options of them.

JIP-3 messages are JAM-serialized: fixed-width little-endian integers, ``len++`` sequences whose
length is a GP *general natural number* (not LEB128), single-byte tags for ``bool`` and
``Option``, and fixed byte arrays. Each piece here parses, builds, and compiles:

- ``parse``/``build`` (construct's interpreter) decode and encode one value; a decoding failure
  raises :class:`FieldError` with the byte offset and a one-line reason.
- ``compile()`` emits straight-line Python. The compiled parser only says *that* a frame is bad;
  the interpreter then says *where* and *why*. The compiled code calls the fast readers in
  ``readers.py``.

Decoded values are JSON-ready: byte arrays become ``0x`` hex, enums their spec names, addresses
text. Building accepts the same shapes.
"""

import ipaddress
from typing import BinaryIO

from construct import Construct, Int8ul, Int16ul, Int32ul, Int64ul
from construct.core import stream_write

from tart.protocol.errors import FieldError
from tart.protocol.readers import IPV4_MAPPED, NUL_SYMBOL, U64, ip_text

u8 = Int8ul
u16 = Int16ul
u32 = Int32ul
u64 = Int64ul


def read_exactly(stream: BinaryIO, length: int, what: str) -> bytes:
    """``length`` bytes of ``stream``, or a :class:`FieldError` saying ``what`` is truncated."""
    offset = stream.tell()
    data = stream.read(length)
    if len(data) != length:
        raise FieldError(f"truncated: {what} needs {length} bytes, {len(data)} left", offset)
    return data


# ---------------------------------------------------------------------------------------------
# Encoding of general natural numbers (GP appendix C)
# ---------------------------------------------------------------------------------------------
def encode_natural(value: int) -> bytes:
    """The GP general natural-number encoding of ``value`` (0 ≤ value < 2^64)."""
    if not 0 <= value < 1 << 64:
        raise ValueError(f"natural {value} is outside 0 … 2^64-1")
    if value < 0x80:
        return bytes((value,))
    for length in range(1, 8):
        if value < 1 << (7 * (length + 1)):
            prefix = 0x100 - (1 << (8 - length)) + (value >> (8 * length))
            return bytes((prefix,)) + (value & ((1 << (8 * length)) - 1)).to_bytes(length, "little")
    return b"\xff" + U64.pack(value)


class Natural(Construct):
    """A GP general natural number: 1 to 9 bytes, the leading 1-bits of the first byte saying how
    many follow. ``len++`` lengths use it. Non-canonical forms (such as LEB128's ``80 01`` for 128)
    are refused, which is how a LEB128 encoder shows up.

    Parsed with a ``leb128`` list among the parameters, it reads LEB128 instead and notes each
    number of more than one byte there: how ``tart.protocol.diagnosis`` tells a LEB128 encoder."""

    def _parse(self, stream, context, path):
        if context is not None and "leb128" in context._params:
            return _parse_leb128(stream, context._params.leb128)
        offset = stream.tell()
        first = read_exactly(stream, 1, "natural")[0]
        if first < 0x80:
            return first
        length = 8 - (first ^ 0xFF).bit_length()
        rest = read_exactly(stream, length, f"natural with prefix 0x{first:02x}")
        if length == 8:
            value = U64.unpack(rest)[0]
        else:
            high = first & ((1 << (7 - length)) - 1)
            value = (high << (8 * length)) | int.from_bytes(rest, "little")
        if value < 1 << (7 * length):
            raise FieldError(
                f"non-canonical natural: {value} encoded in {length + 1} bytes "
                f"({(bytes((first,)) + rest).hex(' ')}); LEB128 instead of the GP encoding?",
                offset,
            )
        return value

    def _build(self, obj, stream, context, path):
        data = encode_natural(obj)
        stream_write(stream, data, len(data), path)
        return obj

    def _emitparse(self, code):
        code.append("from tart.protocol.readers import read_natural")
        return "read_natural(io)"


natural = Natural()


def _parse_leb128(stream, noted):
    offset = stream.tell()
    value = shift = 0
    while True:
        byte = read_exactly(stream, 1, "LEB128 number")[0]
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            break
        if shift >= 64:
            raise FieldError("LEB128 number longer than 9 bytes", offset)
    length = stream.tell() - offset
    if length > 1:
        stream.seek(offset)
        noted.append((offset, stream.read(length), value))
    return value


class Bool(Construct):
    """``bool = 0 (False) OR 1 (True)``, one byte; any other byte is an error."""

    def _parse(self, stream, context, path):
        offset = stream.tell()
        byte = read_exactly(stream, 1, "bool")[0]
        if byte > 1:
            raise FieldError(f"bool must be 0 or 1, got 0x{byte:02x}", offset)
        return byte == 1

    def _build(self, obj, stream, context, path):
        if not isinstance(obj, bool):
            raise ValueError(f"bool expected, got {obj!r}")
        stream_write(stream, b"\x01" if obj else b"\x00", 1, path)
        return obj

    def _sizeof(self, context, path):
        return 1

    def _emitparse(self, code):
        code.append("BOOLS = {b'\\x00': False, b'\\x01': True}")
        return "BOOLS[io.read(1)]"


class String(Construct):
    """``String<N> = len++[u8]``, at most N bytes of valid UTF-8. NUL shows as U+2400."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    def _parse(self, stream, context, path):
        offset = stream.tell()
        length = natural._parse(stream, context, path)
        if length > self.limit:
            raise FieldError(f"String<{self.limit}> length {length} exceeds {self.limit}", offset)
        data = read_exactly(stream, length, f"String<{self.limit}> of length {length}")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise FieldError(
                f"String<{self.limit}> is not valid UTF-8 at byte {e.start} "
                f"of the string (0x{data[e.start]:02x})",
                offset,
            ) from None
        return text.replace("\x00", NUL_SYMBOL)

    def _build(self, obj, stream, context, path):
        data = obj.replace(NUL_SYMBOL, "\x00").encode("utf-8")
        if len(data) > self.limit:
            raise ValueError(f"String<{self.limit}> given {len(data)} bytes")
        natural._build(len(data), stream, context, path)
        stream_write(stream, data, len(data), path)
        return obj

    def _emitparse(self, code):
        code.append("from tart.protocol.readers import read_string")
        return f"read_string(io, {self.limit})"


class HexBytes(Construct):
    """``[u8; N]`` (hashes, keys, VRF outputs), shown as ``0x`` lowercase hex."""

    def __init__(self, length: int):
        super().__init__()
        self.length = length

    def _parse(self, stream, context, path):
        return "0x" + read_exactly(stream, self.length, f"[u8; {self.length}]").hex()

    def _build(self, obj, stream, context, path):
        data = _unhex(obj, self.length)
        stream_write(stream, data, self.length, path)
        return obj

    def _sizeof(self, context, path):
        return self.length

    def _emitparse(self, code):
        code.append("from tart.protocol.readers import read_hex")
        return f"read_hex(io, {self.length})"


class ByteEnum(Construct):
    """A single-byte enumeration, decoded to its spec name; unlisted values are errors."""

    def __init__(self, title: str, **values: int):
        super().__init__()
        self.title = title
        self.names = {value: name for name, value in values.items()}
        self.values = values

    def _parse(self, stream, context, path):
        offset = stream.tell()
        byte = read_exactly(stream, 1, self.title)[0]
        try:
            return self.names[byte]
        except KeyError:
            allowed = ", ".join(f"{v} ({n})" for v, n in sorted(self.names.items()))
            raise FieldError(f"{self.title} must be one of {allowed}; got {byte}", offset) from None

    def _build(self, obj, stream, context, path):
        value = self.values[obj] if isinstance(obj, str) else obj
        if value not in self.names:
            raise ValueError(f"{self.title}: no value {obj!r}")
        stream_write(stream, bytes((value,)), 1, path)
        return obj

    def _sizeof(self, context, path):
        return 1

    def _emitparse(self, code):
        fname = f"enum_{code.allocateId()}"
        code.append(f"{fname} = {self.names!r}")
        return f"{fname}[io.read(1)[0]]"


class SmallInt(Construct):
    """A single byte restricted to ``0 … maximum`` (the ticket attempt number is ``0 OR 1``)."""

    def __init__(self, title: str, maximum: int):
        super().__init__()
        self.title = title
        self.maximum = maximum

    def _parse(self, stream, context, path):
        offset = stream.tell()
        byte = read_exactly(stream, 1, self.title)[0]
        if byte > self.maximum:
            raise FieldError(f"{self.title} must be 0 … {self.maximum}, got {byte}", offset)
        return byte

    def _build(self, obj, stream, context, path):
        if not 0 <= obj <= self.maximum:
            raise ValueError(f"{self.title} must be 0 … {self.maximum}, got {obj}")
        stream_write(stream, bytes((obj,)), 1, path)
        return obj

    def _sizeof(self, context, path):
        return 1

    def _emitparse(self, code):
        fname = f"small_int_{code.allocateId()}"
        code.append(f"{fname} = tuple(range({self.maximum + 1}))")
        return f"{fname}[io.read(1)[0]]"


class IPv6Address(Construct):
    """``[u8; 16]`` IPv6 address, shown as text (IPv4-mapped addresses as plain IPv4)."""

    def _parse(self, stream, context, path):
        return ip_text(read_exactly(stream, 16, "IPv6 address"))

    def _build(self, obj, stream, context, path):
        address = ipaddress.ip_address(obj)
        data = IPV4_MAPPED + address.packed if address.version == 4 else address.packed
        stream_write(stream, data, 16, path)
        return obj

    def _sizeof(self, context, path):
        return 16

    def _emitparse(self, code):
        code.append("from tart.protocol.readers import read_ip")
        return "read_ip(io)"


class PerCore(Construct):
    """``[u8; C]``: one byte per core, C being the core count in the node's JAM Parameters."""

    def _parse(self, stream, context, path):
        return list(read_exactly(stream, context._params.C, f"[u8; C] with C={context._params.C}"))

    def _build(self, obj, stream, context, path):
        cores = context._params.C
        if len(obj) != cores:
            raise ValueError(f"[u8; C] needs {cores} entries, got {len(obj)}")
        stream_write(stream, bytes(obj), cores, path)
        return obj

    def _sizeof(self, context, path):
        return context._params.C

    def _emitparse(self, code):
        code.append("from tart.protocol.readers import read_per_core")
        return "read_per_core(io, this)"


class CoreBitfield(Construct):
    """``[u8; ceil(C / 8)]``: one bit per core, shown as ``0x`` hex."""

    def _parse(self, stream, context, path):
        length = (context._params.C + 7) // 8
        what = f"[u8; ceil(C/8)] with C={context._params.C}"
        return "0x" + read_exactly(stream, length, what).hex()

    def _build(self, obj, stream, context, path):
        length = (context._params.C + 7) // 8
        stream_write(stream, _unhex(obj, length), length, path)
        return obj

    def _sizeof(self, context, path):
        return (context._params.C + 7) // 8

    def _emitparse(self, code):
        code.append("from tart.protocol.readers import read_bitfield")
        return "read_bitfield(io, this)"


def _unhex(value, length):
    data = (
        bytes.fromhex(value[2:] if value.startswith(("0x", "0X")) else value)
        if isinstance(value, str)
        else bytes(value)
    )
    if len(data) != length:
        raise ValueError(f"[u8; {length}] given {len(data)} bytes")
    return data


__all__ = [
    "Bool",
    "ByteEnum",
    "CoreBitfield",
    "HexBytes",
    "IPv6Address",
    "PerCore",
    "SmallInt",
    "String",
    "encode_natural",
    "natural",
    "u8",
    "u16",
    "u32",
    "u64",
]
