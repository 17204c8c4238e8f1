"""JIP-3 "Meta events"."""

from tart.protocol.events.event import Event
from tart.protocol.primitives import u64
from tart.protocol.types import Timestamp

Dropped = Event(
    0,
    "Dropped",
    (
        "If, due to for example limited buffer space, a node needs to drop a contiguous series of "
        "events before they can be transmitted over the connection to the telemetry server, the "
        'dropped events should be replaced with a single "dropped" event:'
    ),
    "last_timestamp" / Timestamp * "Timestamp of the last dropped event",
    "num_dropped" / u64 * "Number of dropped events",
    note=(
        "A dropped event may also be emitted as the first event on a connection, if the events "
        "emitted by the node will not start with ID 0. In this case the number of dropped events "
        "should be set to the ID of the following event and the timestamps should be filled with "
        "plausible values. A node may wish to do this for example if it loses its connection to "
        "the telemetry server and then reconnects, to avoid having to renumber events internally. "
        "Note that this is not intended to require any special handling on the server. Dropped "
        "events should not be common and except in the case just described are expected to only be "
        "produced if the node or network become overloaded. Note that each dropped event message "
        "contains _two_ `Timestamp` fields: the universal `Timestamp` field included in all event "
        "messages, which should be taken from the _first_ dropped event, and the `Timestamp` field "
        "defined above, which should be taken from the _last_ dropped event."
    ),
)
