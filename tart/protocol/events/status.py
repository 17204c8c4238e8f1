"""JIP-3 "Status events"."""

from tart.protocol.events.event import Event
from tart.protocol.primitives import PerCore, u32, u64
from tart.protocol.types import HeaderHash, Slot, bool_

Status = Event(
    10,
    "Status",
    (
        "Emitted periodically (approximately every 2 seconds), to provide a summary of the node's "
        "current state. Note that most of this information can be derived from other events."
    ),
    "num_peers" / u32 * "Total number of peers",
    "num_val_peers" / u32 * "Number of validator peers",
    "num_sync_peers" / u32 * "Number of peers with a block announcement stream open",
    "num_guarantees" / PerCore() * "Number of guarantees in pool, by core",
    "num_shards" / u32 * "Number of shards in availability store",
    "shards_size" / u64 * "Total size of shards in availability store, in bytes",
    "num_preimages" / u32 * "Number of preimages in pool, ready to be included in a block",
    "preimages_size" / u32 * "Total size of preimages in pool, in bytes",
)

BestBlockChanged = Event(
    11,
    "Best block changed",
    "Emitted when the node's best block changes.",
    "slot" / Slot * "New best slot",
    "hash" / HeaderHash * "New best header hash",
)

FinalizedBlockChanged = Event(
    12,
    "Finalized block changed",
    "Emitted when the latest finalized block (from the node's perspective) changes.",
    "slot" / Slot * "New finalized slot",
    "hash" / HeaderHash * "New finalized header hash",
)

SyncStatusChanged = Event(
    13,
    "Sync status changed",
    (
        "Emitted when the node's sync status changes. This status is subjective, indicating "
        "whether or not the node believes it is sufficiently synced with the network to be able to "
        "perform all of the duties of a validator node (authoring, guaranteeing, assuring, "
        "auditing, and so on)."
    ),
    "synced" / bool_ * "Does the node believe it is sufficiently in sync with the network?",
)
