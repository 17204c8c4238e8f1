"""JIP-3, the JAM telemetry protocol: its messages as construct definitions, and their codec.

Read ``types.py``, ``node_information.py`` and ``events/`` (a module per section of the spec) as
the protocol's documentation; ``codec.py`` is how the rest of TART uses them.
"""

from tart.protocol.codec import (
    FRAME_SIZE,
    JAM_COMMON_ERA,
    DecodedEvent,
    EventDecoder,
    EventNumbering,
    NodeInformation,
    decode_node_information,
    discriminator,
    encode_event,
    encode_node_information,
    frame,
    jam_time,
    jam_timestamp,
)
from tart.protocol.errors import DecodeError
from tart.protocol.events import (
    CATEGORIES,
    DISCRIMINATOR_OFFSET,
    EVENT_HEADER_SIZE,
    EVENTS,
    EVENTS_BY_VERSION,
    REFERENCES_BY_VERSION,
)
from tart.protocol.node_information import DEFINED_FLAGS, PVM_RECOMPILER_FLAG
from tart.protocol.primitives import encode_natural
from tart.protocol.readers import NUL_SYMBOL

__all__ = [
    "CATEGORIES",
    "DEFINED_FLAGS",
    "DISCRIMINATOR_OFFSET",
    "EVENTS",
    "EVENTS_BY_VERSION",
    "EVENT_HEADER_SIZE",
    "FRAME_SIZE",
    "JAM_COMMON_ERA",
    "NUL_SYMBOL",
    "PVM_RECOMPILER_FLAG",
    "REFERENCES_BY_VERSION",
    "DecodeError",
    "DecodedEvent",
    "EventDecoder",
    "EventNumbering",
    "NodeInformation",
    "decode_node_information",
    "discriminator",
    "encode_event",
    "encode_natural",
    "encode_node_information",
    "frame",
    "jam_time",
    "jam_timestamp",
]
