"""JIP-3 "Bundle recovery events"."""

from tart.protocol.events.event import Corresponding, Event
from tart.protocol.types import ErasureRoot, EventId, PeerId, Reason, ShardIndex, bool_

AuditId = EventId * "TODO in the spec: should reference an auditing event"

# ### 140: Sending bundle shard request
SendingBundleShardRequest = Event(
    "Sending bundle shard request",
    "audit_id" / AuditId,
    "assurer" / PeerId,
    "shard" / ShardIndex,
)

# ### 141: Receiving bundle shard request
ReceivingBundleShardRequest = Event(
    "Receiving bundle shard request",
    "auditor" / PeerId,
)

# ### 142: Bundle shard request failed
BundleShardRequestFailed = Event(
    "Bundle shard request failed",
    "request_id" / Corresponding("sending bundle shard request", "receiving bundle shard request"),
    "reason" / Reason,
)

# ### 143: Bundle shard request sent
BundleShardRequestSent = Event(
    "Bundle shard request sent",
    "request_id" / Corresponding("sending bundle shard request"),
)

# ### 144: Bundle shard request received
BundleShardRequestReceived = Event(
    "Bundle shard request received",
    "request_id" / Corresponding("receiving bundle shard request"),
    "erasure_root" / ErasureRoot,
    "shard" / ShardIndex,
)

# ### 145: Bundle shard transferred
BundleShardTransferred = Event(
    "Bundle shard transferred",
    "request_id" / Corresponding("sending bundle shard request", "receiving bundle shard request"),
)

# ### 146: Reconstructing bundle
ReconstructingBundle = Event(
    "Reconstructing bundle",
    "audit_id" / AuditId,
    "trivial" / bool_ * "Is this a trivial reconstruction, using only original-data shards?",
)

# ### 147: Bundle reconstructed
BundleReconstructed = Event(
    "Bundle reconstructed",
    "audit_id" / AuditId,
)

# ### 148: Sending bundle request
SendingBundleRequest = Event(
    "Sending bundle request",
    "audit_id" / AuditId,
    "guarantor" / PeerId,
)

# ### 149: Receiving bundle request
ReceivingBundleRequest = Event(
    "Receiving bundle request",
    "auditor" / PeerId,
)

# ### 150: Bundle request failed
BundleRequestFailed = Event(
    "Bundle request failed",
    "request_id" / Corresponding("sending bundle request", "receiving bundle request"),
    "reason" / Reason,
)

# ### 151: Bundle request sent
BundleRequestSent = Event(
    "Bundle request sent",
    "request_id" / Corresponding("sending bundle request"),
)

# ### 152: Bundle request received
BundleRequestReceived = Event(
    "Bundle request received",
    "request_id" / Corresponding("receiving bundle request"),
    "erasure_root" / ErasureRoot,
)

# ### 153: Bundle transferred
BundleTransferred = Event(
    "Bundle transferred",
    "request_id" / Corresponding("sending bundle request", "receiving bundle request"),
)
