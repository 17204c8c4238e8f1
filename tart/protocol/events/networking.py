"""JIP-3 "Networking events"."""

from tart.protocol.composites import Option
from tart.protocol.events.event import Corresponding, Event
from tart.protocol.types import ConnectionSide, PeerAddress, PeerId, Reason

ConnectionRefused = Event(
    20,
    "Connection refused",
    "Emitted when a connection attempt from a peer is refused.",
    "from" / PeerAddress,
)

ConnectingIn = Event(
    21,
    "Connecting in",
    (
        "Emitted when a connection attempt from a peer is accepted. This event should be emitted "
        "as soon as possible. In particular it should be emitted _before_ the connection handshake "
        "completes."
    ),
    "from" / PeerAddress,
)

ConnectInFailed = Event(
    22,
    "Connect in failed",
    "Emitted when an incoming connection attempt fails.",
    "connecting_id" / Corresponding("connecting in"),
    "reason" / Reason,
)

ConnectedIn = Event(
    23,
    "Connected in",
    "Emitted when an incoming connection attempt succeeds.",
    "connecting_id" / Corresponding("connecting in"),
    "peer_id" / PeerId,
)

ConnectingOut = Event(
    24,
    "Connecting out",
    "Emitted when an outgoing connection attempt is initiated.",
    "peer_id" / PeerId,
    "address" / PeerAddress,
)

ConnectOutFailed = Event(
    25,
    "Connect out failed",
    "Emitted when an outgoing connection attempt fails.",
    "connecting_id" / Corresponding("connecting out"),
    "reason" / Reason,
)

ConnectedOut = Event(
    26,
    "Connected out",
    "Emitted when an outgoing connection attempt succeeds.",
    "connecting_id" / Corresponding("connecting out"),
)

Disconnected = Event(
    27,
    "Disconnected",
    "Emitted when a connection to a peer is broken.",
    "peer_id" / PeerId,
    "terminator" / Option(ConnectionSide) * "Terminator of the connection, may be omitted in "
    "case of eg a timeout",
    "reason" / Reason,
)

PeerMisbehaved = Event(
    28,
    "Peer misbehaved",
    (
        "Emitted when a peer misbehaves. Misbehaviour is any behaviour which is objectively not "
        "compliant with the network protocol or the GP. This includes for example sending a "
        "malformed message or an invalid signature. This does _not_ include, for example, timing "
        "out (timeouts are subjective) or prematurely closing a stream (this is permitted by the "
        "network protocol)."
    ),
    "peer_id" / PeerId,
    "reason" / Reason,
)
