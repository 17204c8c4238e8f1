"""Decoding and encoding whole JIP-3 messages.

A connection's first frame is decoded with :func:`decode_node_information`; that fixes the
protocol version and the core count C, from which an :class:`EventDecoder` is made once and then
decodes every following frame with one call. Each event definition is compiled once per process;
decoding allocates no construct objects.
"""

import struct
from datetime import UTC, datetime, timedelta
from io import BytesIO

from tart.protocol.errors import DecodeError, FieldError, join_path
from tart.protocol.events import (
    DISCRIMINATOR_OFFSET,
    EVENTS_BY_VERSION,
    EventMessageV0,
    EventMessageV1,
)
from tart.protocol.node_information import NodeInformationGP07, NodeInformationGP08

JAM_COMMON_ERA = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)

# Every event message starts with its Timestamp (u64) and discriminator (u8).
_HEADER = struct.Struct("<QB")
DROPPED = 0  # the discriminator of "0: Dropped"
# Event ID = u64: IDs are numbered modulo this, as a node's own u64 counter wraps.
EVENT_ID_LIMIT = 2**64
# Every message on the wire is preceded by its size in bytes, a little-endian u32.
FRAME_SIZE = struct.Struct("<I")

PARAMETER_LAYOUTS = {"0.7": NodeInformationGP07, "0.8": NodeInformationGP08}


def jam_time(timestamp: int) -> datetime | None:
    """A JIP-3 Timestamp (µs since the JAM Common Era) as a UTC datetime; None if out of range."""
    try:
        return JAM_COMMON_ERA + timedelta(microseconds=timestamp)
    except OverflowError:
        return None


def jam_timestamp(when: datetime) -> int:
    """The JIP-3 Timestamp of a datetime."""
    delta = when - JAM_COMMON_ERA
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class NodeInformation:
    """The decoded first message of a connection."""

    __slots__ = ("fields", "fitting_layouts", "params_layout")

    def __init__(self, fields: dict, params_layout: str, fitting_layouts: tuple[str, ...]):
        self.fields = fields
        self.params_layout = params_layout
        # Every JAM Parameters layout that leaves a valid message; where two do, gp_version chose.
        self.fitting_layouts = fitting_layouts

    @property
    def protocol_version(self) -> int:
        return self.fields["protocol_version"]

    @property
    def core_count(self) -> int:
        return self.fields["params"]["core_count"]

    @property
    def peer_id(self) -> str:
        return self.fields["peer_id"]


class DecodedEvent:
    """One event: discriminator, name, node timestamp and the JSON-ready ``{name: fields}``."""

    __slots__ = ("data", "discriminator", "name", "timestamp")

    def __init__(self, discriminator: int, name: str, timestamp: int, data: dict):
        self.discriminator = discriminator
        self.name = name
        self.timestamp = timestamp
        self.data = data

    @property
    def time(self) -> datetime | None:
        return jam_time(self.timestamp)

    @property
    def fields(self) -> dict:
        return self.data[self.name]

    @property
    def dropped(self) -> int | None:
        """How many events a Dropped event stands for; None for any other event."""
        return self.data["Dropped"]["num_dropped"] if self.discriminator == DROPPED else None


def decode_node_information(frame: bytes) -> NodeInformation:
    """Decode a node-information message, choosing the JAM Parameters layout that fits.

    Both layouts are tried; the one that leaves a valid message is used, and where both do, the
    Gray Paper version string decides (below 0.8: the 0.7 layout).
    """
    fitting, errors = {}, []
    for layout, record in PARAMETER_LAYOUTS.items():
        try:
            fitting[layout] = _parse_exactly(record, frame, 0, {})
        except DecodeError as error:
            errors.append((error, layout))
    if not fitting:
        error, layout = max(errors, key=lambda pair: pair[0].offset)
        if error.field_path != "NodeInformation.protocol_version":
            error.reason += (
                f" (reading JAM Parameters in the GP {layout} layout; "
                f"the GP {'0.8' if layout == '0.7' else '0.7'} layout fails earlier)"
            )
        raise error
    if len(fitting) == 2:
        layout = layout_of_gp_version(fitting["0.7"]["gp_version"])
    else:
        (layout,) = fitting
    return NodeInformation(fitting[layout], layout, tuple(fitting))


def layout_of_gp_version(text: str) -> str:
    """The JAM Parameters layout a Gray Paper version string such as "0.7.1" names."""
    return "0.7" if _gp_version(text) < (0, 8) else "0.8"


def _gp_version(text):
    parts = []
    for part in text.lstrip("v").split(".")[:2]:
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


class EventDecoder:
    """Decodes the event frames of one connection (its protocol version and core count)."""

    def __init__(self, protocol_version: int, core_count: int):
        self.protocol_version = protocol_version
        self.core_count = core_count
        self._table = _compiled_events(protocol_version)
        self._context = {"_params": {"C": core_count}}

    def dropped(self, frame: bytes) -> int | None:
        """N if `frame` is a Dropped(N) event, else None, without decoding any other event: what
        a frame that is not stored (rate limited) does to the IDs of the events after it."""
        if len(frame) > _HEADER.size and frame[_HEADER.size - 1] == DROPPED:
            try:
                return self.decode(frame).dropped
            except DecodeError:
                return None
        return None

    def decode(self, frame: bytes) -> DecodedEvent:
        """Decode one event frame (without its 4-byte size); raises :class:`DecodeError`."""
        if len(frame) < _HEADER.size:
            raise DecodeError(
                f"frame of {len(frame)} bytes is shorter than Timestamp and "
                f"discriminator ({_HEADER.size} bytes)",
                0,
            )
        timestamp, discriminator = _HEADER.unpack_from(frame)
        try:
            event, parse = self._table[discriminator]
        except KeyError:
            raise DecodeError(
                f"unknown discriminator {discriminator}",
                DISCRIMINATOR_OFFSET,
                discriminator=discriminator,
            ) from None
        io = BytesIO(frame)
        io.seek(_HEADER.size)
        try:
            fields = parse(io, self._context)
            if io.tell() == len(frame):
                return DecodedEvent(
                    discriminator, event.event_name, timestamp, {event.event_name: fields}
                )
        except Exception:  # the compiled parser cannot say what is wrong; the interpreter can
            pass
        fields = _parse_exactly(event, frame, _HEADER.size, {"C": self.core_count}, discriminator)
        return DecodedEvent(discriminator, event.event_name, timestamp, {event.event_name: fields})


def _parse_exactly(record, frame, start, params, discriminator=None):
    """Parse with construct's interpreter, which explains failures; the frame must be consumed."""
    name = getattr(record, "event_name", "NodeInformation")
    io = BytesIO(frame)
    io.seek(start)
    try:
        fields = record.parse_stream(io, **params)
    except FieldError as error:
        raise DecodeError(
            error.reason,
            error.offset,
            join_path(name, error.path),
            discriminator,
            name if discriminator is not None else None,
        ) from None
    if io.tell() != len(frame):
        trailing = len(frame) - io.tell()
        raise DecodeError(
            f"{trailing} trailing byte{'s' if trailing > 1 else ''}",
            io.tell(),
            name,
            discriminator,
            name if discriminator is not None else None,
        )
    return fields


_COMPILED = {}


def _compiled_events(protocol_version):
    if protocol_version not in _COMPILED:
        _COMPILED[protocol_version] = {
            discriminator: (event, event.compile().parsefunc)
            for discriminator, event in EVENTS_BY_VERSION[protocol_version].items()
        }
    return _COMPILED[protocol_version]


class EventNumbering:
    """JIP-3 event IDs on one connection: the first event is 0; the event after a Dropped event
    carrying N is that event's ID + N; otherwise + 1. A frame that cannot be decoded still takes
    an ID.

    IDs are u64, so they are numbered modulo 2**64: a node whose Dropped events add up past
    that (a hostile or broken one) has its IDs wrap around as its own u64 counter would, and
    `wraps` counts how often that happened."""

    __slots__ = ("next_id", "wraps")

    def __init__(self):
        self.next_id = 0
        self.wraps = 0

    def assign(self, dropped: int | None = None) -> int:
        """The ID of the next event; ``dropped`` is N when that event is Dropped(N)."""
        event_id = self.next_id
        self.next_id += 1 if dropped is None else dropped
        if self.next_id >= EVENT_ID_LIMIT:
            self.next_id %= EVENT_ID_LIMIT
            self.wraps += 1
        return event_id


_EVENT_MESSAGES = {0: EventMessageV0, 1: EventMessageV1}
_DISCRIMINATORS = {
    version: {event.event_name: d for d, event in table.items()}
    for version, table in EVENTS_BY_VERSION.items()
}


def discriminator(event_name: str, protocol_version: int = 0) -> int:
    """The discriminator of the event named `event_name` ("BestBlockChanged" → 11)."""
    return _DISCRIMINATORS[protocol_version][event_name]


def encode_event(
    data: dict, timestamp: int, protocol_version: int = 0, core_count: int = 341
) -> bytes:
    """The message bytes of one event given as ``{name: fields}`` (the decoder's shape)."""
    ((name, fields),) = data.items()
    discriminator = _DISCRIMINATORS[protocol_version][name]
    return _EVENT_MESSAGES[protocol_version].build(
        {"timestamp": timestamp, "discriminator": discriminator, "event": fields}, C=core_count
    )


def encode_node_information(fields: dict, params_layout: str = "0.7") -> bytes:
    """The message bytes of a node-information message (fields as the decoder returns them)."""
    return PARAMETER_LAYOUTS[params_layout].build(fields)


def frame(message: bytes) -> bytes:
    """A message as sent on the wire: its size as a little-endian u32, then the message."""
    return FRAME_SIZE.pack(len(message)) + message
