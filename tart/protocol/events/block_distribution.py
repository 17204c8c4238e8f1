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

BlockAnnouncementStreamOpened = Event(
    60,
    "Block announcement stream opened",
    "Emitted when a block announcement stream (UP 0) is opened.",
    "peer_id" / PeerId,
    "opener" / ConnectionSide * "The side that opened the stream",
)

BlockAnnouncementStreamClosed = Event(
    61,
    "Block announcement stream closed",
    (
        "Emitted when a block announcement stream (UP 0) is closed. This need not be emitted if "
        "the stream is closed due to disconnection."
    ),
    "peer_id" / PeerId,
    "closer" / ConnectionSide * "The side that closed the stream",
    "reason" / Reason,
    protocol_versions=(0,),
)

BlockAnnouncementStreamClosedV1 = Event(
    61,
    "Block announcement stream closed",
    (
        "Emitted when a block announcement stream (UP 0) is closed. This need not be emitted if "
        "the stream is closed due to disconnection."
    ),
    "opened_id" / Corresponding("block announcement stream opened"),
    "closer" / ConnectionSide * "The side that closed the stream",
    "reason" / Reason,
    protocol_versions=(1,),
)

BlockAnnounced = Event(
    62,
    "Block announced",
    "Emitted when a block announcement is sent to or received from a peer (UP 0).",
    "peer_id" / PeerId,
    "announcer" / ConnectionSide,
    "slot" / Slot,
    "hash" / HeaderHash,
)

SendingBlockRequest = Event(
    63,
    "Sending block request",
    "Emitted when a node begins sending a block request to a peer (CE 128).",
    "recipient" / PeerId,
    "hash" / HeaderHash,
    "direction" / BlockRequestDirection,
    "max_blocks" / u32 * "Maximum number of blocks",
)

ReceivingBlockRequest = Event(
    64,
    "Receiving block request",
    "Emitted by the recipient when a node begins sending a block request (CE 128).",
    "sender" / PeerId,
)

BlockRequestFailed = Event(
    65,
    "Block request failed",
    "Emitted when a block request (CE 128) fails.",
    "request_id" / Corresponding("sending block request", "receiving block request"),
    "reason" / Reason,
)

BlockRequestSent = Event(
    66,
    "Block request sent",
    (
        "Emitted once a block request has been sent to a peer (CE 128). This should be emitted "
        "after the intial message containing the request details has been transmitted."
    ),
    "request_id" / Corresponding("sending block request"),
)

BlockRequestReceived = Event(
    67,
    "Block request received",
    "Emitted once a block request has been received from a peer (CE 128).",
    "request_id" / Corresponding("receiving block request"),
    "hash" / HeaderHash,
    "direction" / BlockRequestDirection,
    "max_blocks" / u32 * "Maximum number of blocks",
)

BlockTransferred = Event(
    68,
    "Block transferred",
    (
        "Emitted when a block has been fully sent to or received from a peer (CE 128). In the case "
        "of a received block, this event may be emitted before any checks are performed. If the "
        'block is found to be invalid or to not match the request, a "peer misbehaved" event '
        'should be emitted; emitting a "block request failed" event is optional.'
    ),
    "request_id" / Corresponding("sending block request", "receiving block request"),
    "slot" / Slot,
    "outline" / BlockOutline,
    "last" / bool_ * "Last block for the request?",
)
