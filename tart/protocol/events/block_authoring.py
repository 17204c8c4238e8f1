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

# ### 40: Authoring
Authoring = Event(
    "Authoring",
    "slot" / Slot,
    "parent" / HeaderHash * "Of the parent block",
)

# ### 41: Authoring failed
AuthoringFailed = Event(
    "Authoring failed",
    "authoring_id" / Corresponding("authoring"),
    "reason" / Reason,
)

# ### 42: Authored
Authored = Event(
    "Authored",
    "authoring_id" / Corresponding("authoring"),
    "outline" / BlockOutline,
)

# ### 43: Importing
Importing = Event(
    "Importing",
    "slot" / Slot,
    "outline" / BlockOutline,
)

# ### 44: Block verification failed
BlockVerificationFailed = Event(
    "Block verification failed",
    "importing_id" / Corresponding("importing"),
    "reason" / Reason,
)

# ### 45: Block verified
BlockVerified = Event(
    "Block verified",
    "importing_id" / Corresponding("importing"),
)

# ### 46: Block execution failed
BlockExecutionFailed = Event(
    "Block execution failed",
    "authoring_or_importing_id" / Corresponding("authoring", "importing"),
    "reason" / Reason,
)

# ### 47: Block executed
BlockExecuted = Event(
    "Block executed",
    "authoring_or_importing_id" / Corresponding("authoring", "importing"),
    "accumulated"
    / Vec(
        Record(
            "service" / ServiceId,
            "cost" / AccumulateCost,
        )
    )
    * "Accumulated services and the cost of their accumulate calls",
)
