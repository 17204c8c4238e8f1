"""JIP-3 "Meta events"."""

from tart.protocol.events.event import Event
from tart.protocol.primitives import u64
from tart.protocol.types import Timestamp

# ### 0: Dropped
Dropped = Event(
    "Dropped",
    "last_timestamp" / Timestamp * "Timestamp of the last dropped event",
    "num_dropped" / u64 * "Number of dropped events",
)
