"""JIP-3 "Preimage distribution events"."""

from tart.protocol.events.event import Corresponding, Event
from tart.protocol.primitives import u32
from tart.protocol.types import (
    AnnouncedPreimageForgetReason,
    ConnectionSide,
    Hash,
    PeerId,
    PreimageDiscardReason,
    Reason,
    ServiceId,
)

PreimageAnnouncementFailed = Event(
    190,
    "Preimage announcement failed",
    "Emitted when a preimage announcement fails (CE 142).",
    "peer_id" / PeerId,
    "announcer" / ConnectionSide,
    "reason" / Reason,
)

PreimageAnnounced = Event(
    191,
    "Preimage announced",
    "Emitted when a preimage announcement is sent to or received from a peer (CE 142).",
    "peer_id" / PeerId,
    "announcer" / ConnectionSide,
    "service" / ServiceId * "Requesting service",
    "hash" / Hash,
    "length" / u32 * "Preimage length",
)

AnnouncedPreimageForgotten = Event(
    192,
    "Announced preimage forgotten",
    (
        "Emitted when a preimage announced by a peer is forgotten about. This event should not be "
        "emitted for preimages the node managed to acquire (if such a preimage is discarded, a "
        '"preimage discarded" event should be emitted instead).'
    ),
    "service" / ServiceId * "Requesting service",
    "hash" / Hash,
    "length" / u32 * "Preimage length",
    "reason" / AnnouncedPreimageForgetReason,
)

SendingPreimageRequest = Event(
    193,
    "Sending preimage request",
    "Emitted when a validator begins sending a preimage request to a peer (CE 143).",
    "recipient" / PeerId,
    "hash" / Hash,
)

ReceivingPreimageRequest = Event(
    194,
    "Receiving preimage request",
    "Emitted by the recipient when a validator begins sending a preimage request (CE 143).",
    "sender" / PeerId,
)

PreimageRequestFailed = Event(
    195,
    "Preimage request failed",
    "Emitted when a preimage request (CE 143) fails.",
    "request_id" / Corresponding("sending preimage request", "receiving preimage request"),
    "reason" / Reason,
)

PreimageRequestSent = Event(
    196,
    "Preimage request sent",
    (
        "Emitted once a preimage request has been sent to a peer (CE 143). This should be emitted "
        "after the initial message containing the request details has been transmitted."
    ),
    "request_id" / Corresponding("sending preimage request"),
)

PreimageRequestReceived = Event(
    197,
    "Preimage request received",
    "Emitted once a preimage request has been received from a peer (CE 143).",
    "request_id" / Corresponding("receiving preimage request"),
    "hash" / Hash,
)

PreimageTransferred = Event(
    198,
    "Preimage transferred",
    "Emitted when a preimage has been fully sent to or received from a peer (CE 143).",
    "request_id" / Corresponding("sending preimage request", "receiving preimage request"),
    "length" / u32 * "Preimage length",
)

PreimageDiscarded = Event(
    199,
    "Preimage discarded",
    (
        "Emitted when a preimage is discarded from the local preimage pool. Note that in the case "
        "where the preimage was requested by multiple services, there may not be a unique discard "
        "reason. For example, the preimage may have been provided to one service, while another "
        "service may have stopped requesting it. In this case, either reason may be reported."
    ),
    "hash" / Hash,
    "length" / u32 * "Preimage length",
    "reason" / PreimageDiscardReason,
)
