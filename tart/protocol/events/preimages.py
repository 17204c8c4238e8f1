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

# ### 190: Preimage announcement failed
PreimageAnnouncementFailed = Event(
    "Preimage announcement failed",
    "peer_id" / PeerId,
    "announcer" / ConnectionSide,
    "reason" / Reason,
)

# ### 191: Preimage announced
PreimageAnnounced = Event(
    "Preimage announced",
    "peer_id" / PeerId,
    "announcer" / ConnectionSide,
    "service" / ServiceId * "Requesting service",
    "hash" / Hash,
    "length" / u32 * "Preimage length",
)

# ### 192: Announced preimage forgotten
AnnouncedPreimageForgotten = Event(
    "Announced preimage forgotten",
    "service" / ServiceId * "Requesting service",
    "hash" / Hash,
    "length" / u32 * "Preimage length",
    "reason" / AnnouncedPreimageForgetReason,
)

# ### 193: Sending preimage request
SendingPreimageRequest = Event(
    "Sending preimage request",
    "recipient" / PeerId,
    "hash" / Hash,
)

# ### 194: Receiving preimage request
ReceivingPreimageRequest = Event(
    "Receiving preimage request",
    "sender" / PeerId,
)

# ### 195: Preimage request failed
PreimageRequestFailed = Event(
    "Preimage request failed",
    "request_id" / Corresponding("sending preimage request", "receiving preimage request"),
    "reason" / Reason,
)

# ### 196: Preimage request sent
PreimageRequestSent = Event(
    "Preimage request sent",
    "request_id" / Corresponding("sending preimage request"),
)

# ### 197: Preimage request received
PreimageRequestReceived = Event(
    "Preimage request received",
    "request_id" / Corresponding("receiving preimage request"),
    "hash" / Hash,
)

# ### 198: Preimage transferred
PreimageTransferred = Event(
    "Preimage transferred",
    "request_id" / Corresponding("sending preimage request", "receiving preimage request"),
    "length" / u32 * "Preimage length",
)

# ### 199: Preimage discarded
PreimageDiscarded = Event(
    "Preimage discarded",
    "hash" / Hash,
    "length" / u32 * "Preimage length",
    "reason" / PreimageDiscardReason,
)
