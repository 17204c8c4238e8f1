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

GeneratingTickets = Event(
    80,
    "Generating tickets",
    "Emitted when generation of a new set of Safrole tickets begins.",
    "epoch" / EpochIndex * "The epoch the tickets are to be used in",
)

TicketGenerationFailed = Event(
    81,
    "Ticket generation failed",
    "Emitted if Safrole ticket generation fails.",
    "generating_id" / Corresponding("generating tickets"),
    "reason" / Reason,
)

TicketsGenerated = Event(
    82,
    "Tickets generated",
    "Emitted once a set of Safrole tickets has been generated.",
    "generating_id" / Corresponding("generating tickets"),
    "vrf_outputs" / Vec(VrfOutput) * "Ticket VRF outputs, index is attempt number",
)

TicketTransferFailed = Event(
    83,
    "Ticket transfer failed",
    "Emitted when a Safrole ticket send or receive fails (CE 131/132).",
    "peer_id" / PeerId,
    "sender" / ConnectionSide,
    "ce_132" / bool_ * "Was CE 132 used?",
    "reason" / Reason,
)

TicketTransferred = Event(
    84,
    "Ticket transferred",
    (
        "Emitted when a Safrole ticket is sent to or received from a peer (CE 131/132). In the "
        "case of a received ticket, this should be emitted before the ticket is checked. If the "
        'ticket is found to be invalid, a "peer misbehaved" event should be emitted.'
    ),
    "peer_id" / PeerId,
    "sender" / ConnectionSide,
    "ce_132" / bool_ * "Was CE 132 used?",
    "epoch" / EpochIndex * "The epoch the ticket is to be used in",
    "attempt" / SmallInt("ticket attempt number", 1) * "0 OR 1 (single byte)",
    "vrf_output" / VrfOutput,
)
