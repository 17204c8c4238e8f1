"""JIP-3 "Bundle recovery events"."""

from tart.protocol.events.event import Corresponding, Event
from tart.protocol.types import ErasureRoot, EventId, PeerId, Reason, ShardIndex, bool_

AuditId = EventId * "TODO in the spec: should reference an auditing event"

SendingBundleShardRequest = Event(
    140,
    "Sending bundle shard request",
    "Emitted when an auditor begins sending a bundle shard request to an assurer (CE 138).",
    "audit_id" / AuditId,
    "assurer" / PeerId,
    "shard" / ShardIndex,
)

ReceivingBundleShardRequest = Event(
    141,
    "Receiving bundle shard request",
    "Emitted by the recipient when an auditor begins sending a bundle shard request (CE 138).",
    "auditor" / PeerId,
)

BundleShardRequestFailed = Event(
    142,
    "Bundle shard request failed",
    (
        "Emitted when a bundle shard request fails (CE 138). This should be emitted by both sides, "
        "ie the auditor and the assurer."
    ),
    "request_id" / Corresponding("sending bundle shard request", "receiving bundle shard request"),
    "reason" / Reason,
)

BundleShardRequestSent = Event(
    143,
    "Bundle shard request sent",
    (
        "Emitted once a bundle shard request has been sent to an assurer (CE 138). This should be "
        "emitted after the initial message containing the request details has been transmitted."
    ),
    "request_id" / Corresponding("sending bundle shard request"),
)

BundleShardRequestReceived = Event(
    144,
    "Bundle shard request received",
    "Emitted once a bundle shard request has been received from an auditor (CE 138).",
    "request_id" / Corresponding("receiving bundle shard request"),
    "erasure_root" / ErasureRoot,
    "shard" / ShardIndex,
)

BundleShardTransferred = Event(
    145,
    "Bundle shard transferred",
    (
        "Emitted when a bundle shard request completes successfully (CE 138). This should be "
        "emitted by both sides, ie the auditor and the assurer."
    ),
    "request_id" / Corresponding("sending bundle shard request", "receiving bundle shard request"),
)

ReconstructingBundle = Event(
    146,
    "Reconstructing bundle",
    "Emitted when reconstruction of a bundle from shards received from assurers begins.",
    "audit_id" / AuditId,
    "trivial" / bool_ * "Is this a trivial reconstruction, using only original-data shards?",
)

BundleReconstructed = Event(
    147,
    "Bundle reconstructed",
    "Emitted once a bundle has been successfully reconstructed from shards.",
    "audit_id" / AuditId,
)

SendingBundleRequest = Event(
    148,
    "Sending bundle request",
    "Emitted when an auditor begins sending a bundle request to a guarantor (CE 147).",
    "audit_id" / AuditId,
    "guarantor" / PeerId,
)

ReceivingBundleRequest = Event(
    149,
    "Receiving bundle request",
    "Emitted by the recipient when an auditor begins sending a bundle request (CE 147).",
    "auditor" / PeerId,
)

BundleRequestFailed = Event(
    150,
    "Bundle request failed",
    (
        "Emitted when a bundle request fails (CE 147). This should be emitted by both sides, ie "
        "the auditor and the guarantor."
    ),
    "request_id" / Corresponding("sending bundle request", "receiving bundle request"),
    "reason" / Reason,
)

BundleRequestSent = Event(
    151,
    "Bundle request sent",
    (
        "Emitted once a bundle request has been sent to a guarantor (CE 147). This should be "
        "emitted after the initial message containing the request details has been transmitted."
    ),
    "request_id" / Corresponding("sending bundle request"),
)

BundleRequestReceived = Event(
    152,
    "Bundle request received",
    "Emitted once a bundle request has been received from an auditor (CE 147).",
    "request_id" / Corresponding("receiving bundle request"),
    "erasure_root" / ErasureRoot,
)

BundleTransferred = Event(
    153,
    "Bundle transferred",
    (
        "Emitted when a bundle request completes successfully (CE 147). This should be emitted by "
        "both sides, ie the auditor and the guarantor."
    ),
    "request_id" / Corresponding("sending bundle request", "receiving bundle request"),
)
