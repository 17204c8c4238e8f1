"""JIP-3 "Networking events"."""

from tart.protocol.composites import Option
from tart.protocol.events.event import Corresponding, Event
from tart.protocol.types import ConnectionSide, PeerAddress, PeerId, Reason

# ### 20: Connection refused
ConnectionRefused = Event(
    "Connection refused",
    "from" / PeerAddress,
)

# ### 21: Connecting in
ConnectingIn = Event(
    "Connecting in",
    "from" / PeerAddress,
)

# ### 22: Connect in failed
ConnectInFailed = Event(
    "Connect in failed",
    "connecting_id" / Corresponding("connecting in"),
    "reason" / Reason,
)

# ### 23: Connected in
ConnectedIn = Event(
    "Connected in",
    "connecting_id" / Corresponding("connecting in"),
    "peer_id" / PeerId,
)

# ### 24: Connecting out
ConnectingOut = Event(
    "Connecting out",
    "peer_id" / PeerId,
    "address" / PeerAddress,
)

# ### 25: Connect out failed
ConnectOutFailed = Event(
    "Connect out failed",
    "connecting_id" / Corresponding("connecting out"),
    "reason" / Reason,
)

# ### 26: Connected out
ConnectedOut = Event(
    "Connected out",
    "connecting_id" / Corresponding("connecting out"),
)

# ### 27: Disconnected
Disconnected = Event(
    "Disconnected",
    "peer_id" / PeerId,
    "terminator" / Option(ConnectionSide) * "Terminator of the connection, may be omitted in "
    "case of eg a timeout",
    "reason" / Reason,
)

# ### 28: Peer misbehaved
PeerMisbehaved = Event(
    "Peer misbehaved",
    "peer_id" / PeerId,
    "reason" / Reason,
)
