"""JIP-3 "Safrole ticket events"."""

from tart.protocol.composites import Vec
from tart.protocol.events.event import Corresponding, Event
from tart.protocol.primitives import SmallInt
from tart.protocol.types import (
    ConnectionSide,
    EpochIndex,
    PeerId,
    Reason,
    VrfOutput,
    bool_,
)

# ### 80: Generating tickets
GeneratingTickets = Event(
    "Generating tickets",
    "epoch" / EpochIndex * "The epoch the tickets are to be used in",
)

# ### 81: Ticket generation failed
TicketGenerationFailed = Event(
    "Ticket generation failed",
    "generating_id" / Corresponding("generating tickets"),
    "reason" / Reason,
)

# ### 82: Tickets generated
TicketsGenerated = Event(
    "Tickets generated",
    "generating_id" / Corresponding("generating tickets"),
    "vrf_outputs" / Vec(VrfOutput) * "Ticket VRF outputs, index is attempt number",
)

# ### 83: Ticket transfer failed
TicketTransferFailed = Event(
    "Ticket transfer failed",
    "peer_id" / PeerId,
    "sender" / ConnectionSide,
    "ce_132" / bool_ * "Was CE 132 used?",
    "reason" / Reason,
)

# ### 84: Ticket transferred
TicketTransferred = Event(
    "Ticket transferred",
    "peer_id" / PeerId,
    "sender" / ConnectionSide,
    "ce_132" / bool_ * "Was CE 132 used?",
    "epoch" / EpochIndex * "The epoch the ticket is to be used in",
    "attempt" / SmallInt("ticket attempt number", 1) * "0 OR 1 (single byte)",
    "vrf_output" / VrfOutput,
)
