"""JIP-3 "Block authoring/importing events"."""

from tart.protocol.composites import Record, Vec
from tart.protocol.events.event import Corresponding, Event
from tart.protocol.types import (
    AccumulateCost,
    BlockOutline,
    HeaderHash,
    Reason,
    ServiceId,
    Slot,
)

Authoring = Event(
    40,
    "Authoring",
    "Emitted when authoring of a new block begins.",
    "slot" / Slot,
    "parent" / HeaderHash * "Of the parent block",
)

AuthoringFailed = Event(
    41,
    "Authoring failed",
    "Emitted if block authoring fails for some reason.",
    "authoring_id" / Corresponding("authoring"),
    "reason" / Reason,
)

Authored = Event(
    42,
    "Authored",
    (
        "Emitted when a new block has been authored. This should be emitted as soon the contents "
        "of the block have been determined, ideally before accumulation is performed and the new "
        "state root is computed (which is included only in the following block)."
    ),
    "authoring_id" / Corresponding("authoring"),
    "outline" / BlockOutline,
)

Importing = Event(
    43,
    "Importing",
    (
        "Emitted when importing of a block begins. This should not be emitted by the block author; "
        'the author should emit the "authoring" event instead.'
    ),
    "slot" / Slot,
    "outline" / BlockOutline,
)

BlockVerificationFailed = Event(
    44,
    "Block verification failed",
    (
        "Emitted if verification of a block being imported fails for some reason. This includes if "
        "the block is determined to be invalid, ie it does not satisfy all the validity conditions "
        'listed in the GP. In this case, a "peer misbehaved" event should also be emitted for the '
        "peer which sent the block. This event should never be emitted by the block author "
        '(authors should emit the "authoring failed" event instead).'
    ),
    "importing_id" / Corresponding("importing"),
    "reason" / Reason,
)

BlockVerified = Event(
    45,
    "Block verified",
    (
        "Emitted once a block being imported has been verified. That is, the block satisfies all "
        "the validity conditions listed in the GP. This should be emitted as soon as this has been "
        "determined, ideally before accumulation is performed and the new state root is computed. "
        'This should not be emitted by the block author (the author should emit the "authored" '
        "event instead)."
    ),
    "importing_id" / Corresponding("importing"),
)

BlockExecutionFailed = Event(
    46,
    "Block execution failed",
    (
        "Emitted if execution of a block fails after authoring/verification. This can happen if, "
        "for example, there is a collision amongst created service IDs during accumulation."
    ),
    "authoring_or_importing_id" / Corresponding("authoring", "importing"),
    "reason" / Reason,
)

BlockExecuted = Event(
    47,
    "Block executed",
    (
        "Emitted following successful execution of a block. This should be emitted by both the "
        "block author and importers."
    ),
    "authoring_or_importing_id" / Corresponding("authoring", "importing"),
    "accumulated"
    / Vec(
        Record(
            "service" / ServiceId,
            "cost" / AccumulateCost,
        )
    )
    * "Accumulated services and the cost of their accumulate calls",
    note=(
        "Each service should be listed at most once in the accumulated services list. The length "
        "of the accumulated services list should not exceed 500. If more than 500 services are "
        "accumulated in a block, the costs of the services with lowest total gas usage should be "
        "combined and reported with service ID 0xffffffff (note that this is otherwise not a valid "
        "service ID). Ties should be broken by combining services with greater IDs."
    ),
)
