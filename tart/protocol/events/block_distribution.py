"""JIP-3 "Block distribution events"."""

from tart.protocol.events.event import Corresponding, Event
from tart.protocol.primitives import u32
from tart.protocol.types import (
    BlockOutline,
    BlockRequestDirection,
    ConnectionSide,
    HeaderHash,
    PeerId,
    Reason,
    Slot,
    bool_,
)

# ### 60: Block announcement stream opened
BlockAnnouncementStreamOpened = Event(
    "Block announcement stream opened",
    "peer_id" / PeerId,
    "opener" / ConnectionSide * "The side that opened the stream",
)

# ### 61: Block announcement stream closed (protocol version 0)
BlockAnnouncementStreamClosed = Event(
    "Block announcement stream closed",
    "peer_id" / PeerId,
    "closer" / ConnectionSide * "The side that closed the stream",
    "reason" / Reason,
)

# ### 61: Block announcement stream closed (protocol version 1)
BlockAnnouncementStreamClosedV1 = Event(
    "Block announcement stream closed",
    "opened_id" / Corresponding("block announcement stream opened"),
    "closer" / ConnectionSide * "The side that closed the stream",
    "reason" / Reason,
)

# ### 62: Block announced
BlockAnnounced = Event(
    "Block announced",
    "peer_id" / PeerId,
    "announcer" / ConnectionSide,
    "slot" / Slot,
    "hash" / HeaderHash,
)

# ### 63: Sending block request
SendingBlockRequest = Event(
    "Sending block request",
    "recipient" / PeerId,
    "hash" / HeaderHash,
    "direction" / BlockRequestDirection,
    "max_blocks" / u32 * "Maximum number of blocks",
)

# ### 64: Receiving block request
ReceivingBlockRequest = Event(
    "Receiving block request",
    "sender" / PeerId,
)

# ### 65: Block request failed
BlockRequestFailed = Event(
    "Block request failed",
    "request_id" / Corresponding("sending block request", "receiving block request"),
    "reason" / Reason,
)

# ### 66: Block request sent
BlockRequestSent = Event(
    "Block request sent",
    "request_id" / Corresponding("sending block request"),
)

# ### 67: Block request received
BlockRequestReceived = Event(
    "Block request received",
    "request_id" / Corresponding("receiving block request"),
    "hash" / HeaderHash,
    "direction" / BlockRequestDirection,
    "max_blocks" / u32 * "Maximum number of blocks",
)

# ### 68: Block transferred
BlockTransferred = Event(
    "Block transferred",
    "request_id" / Corresponding("sending block request", "receiving block request"),
    "slot" / Slot,
    "outline" / BlockOutline,
    "last" / bool_ * "Last block for the request?",
)
