"""JIP-3 "Availability distribution events"."""

from tart.protocol.events.event import Corresponding, Event
from tart.protocol.primitives import CoreBitfield
from tart.protocol.types import ErasureRoot, HeaderHash, PeerId, Reason, ShardIndex

# ### 120: Sending shard request
SendingShardRequest = Event(
    "Sending shard request",
    "guarantor" / PeerId,
    "erasure_root" / ErasureRoot,
    "shard" / ShardIndex,
)

# ### 121: Receiving shard request
ReceivingShardRequest = Event(
    "Receiving shard request",
    "assurer" / PeerId,
)

# ### 122: Shard request failed
ShardRequestFailed = Event(
    "Shard request failed",
    "request_id" / Corresponding("sending shard request", "receiving shard request"),
    "reason" / Reason,
)

# ### 123: Shard request sent
ShardRequestSent = Event(
    "Shard request sent",
    "request_id" / Corresponding("sending shard request"),
)

# ### 124: Shard request received
ShardRequestReceived = Event(
    "Shard request received",
    "request_id" / Corresponding("receiving shard request"),
    "erasure_root" / ErasureRoot,
    "shard" / ShardIndex,
)

# ### 125: Shards transferred
ShardsTransferred = Event(
    "Shards transferred",
    "request_id" / Corresponding("sending shard request", "receiving shard request"),
)

# ### 126: Distributing assurance
DistributingAssurance = Event(
    "Distributing assurance",
    "anchor" / HeaderHash * "Assurance anchor",
    "availability" / CoreBitfield() * "Availability bitfield; one bit per core",
)

# ### 127: Assurance send failed
AssuranceSendFailed = Event(
    "Assurance send failed",
    "distributing_id" / Corresponding("distributing assurance"),
    "recipient" / PeerId,
    "reason" / Reason,
)

# ### 128: Assurance sent
AssuranceSent = Event(
    "Assurance sent",
    "distributing_id" / Corresponding("distributing assurance"),
    "recipient" / PeerId,
)

# ### 129: Assurance distributed
AssuranceDistributed = Event(
    "Assurance distributed",
    "distributing_id" / Corresponding("distributing assurance"),
)

# ### 130: Assurance receive failed
AssuranceReceiveFailed = Event(
    "Assurance receive failed",
    "sender" / PeerId,
    "reason" / Reason,
)

# ### 131: Assurance received
AssuranceReceived = Event(
    "Assurance received",
    "sender" / PeerId,
    "anchor" / HeaderHash * "Assurance anchor",
)
