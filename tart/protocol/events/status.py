"""JIP-3 "Status events"."""

from tart.protocol.events.event import Event
from tart.protocol.primitives import PerCore, u32, u64
from tart.protocol.types import HeaderHash, Slot, bool_

# ### 10: Status
Status = Event(
    "Status",
    "num_peers" / u32 * "Total number of peers",
    "num_val_peers" / u32 * "Number of validator peers",
    "num_sync_peers" / u32 * "Number of peers with a block announcement stream open",
    "num_guarantees" / PerCore() * "Number of guarantees in pool, by core",
    "num_shards" / u32 * "Number of shards in availability store",
    "shards_size" / u64 * "Total size of shards in availability store, in bytes",
    "num_preimages" / u32 * "Number of preimages in pool, ready to be included in a block",
    "preimages_size" / u32 * "Total size of preimages in pool, in bytes",
)

# ### 11: Best block changed
BestBlockChanged = Event(
    "Best block changed",
    "slot" / Slot * "New best slot",
    "hash" / HeaderHash * "New best header hash",
)

# ### 12: Finalized block changed
FinalizedBlockChanged = Event(
    "Finalized block changed",
    "slot" / Slot * "New finalized slot",
    "hash" / HeaderHash * "New finalized header hash",
)

# ### 13: Sync status changed
SyncStatusChanged = Event(
    "Sync status changed",
    "synced" / bool_ * "Does the node believe it is sufficiently in sync with the network?",
)
