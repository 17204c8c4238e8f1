"""JIP-3 "Event messages": every event, in the spec's order, under the spec's headings.

Every event message is ``Timestamp ++ u8 (discriminator) ++ fields``; the table at the end
(:data:`EventMessage`) maps each discriminator to its definition. An event's JSON name is its
heading in PascalCase ("Best block changed" → ``BestBlockChanged``).
"""
import re

from construct import Struct, Switch, this

from tart.protocol.primitives import CoreBitfield, PerCore, Record, SmallInt, Vec, u8, u16, u32, u64
from tart.protocol.types import (
    AccumulateCost, BlockOutline, BlockRequestDirection, ConnectionSide, CoreIndex,
    AnnouncedPreimageForgetReason, EpochIndex, ErasureRoot, EventId, GuaranteeDiscardReason,
    GuaranteeOutline, Hash, HeaderHash, ImportSegmentId, IsAuthorizedCost, Option, PeerAddress,
    PeerId, PreimageDiscardReason, Reason, RefineCost, SegmentsRoot, ServiceId, ShardIndex, Slot,
    Timestamp, VrfOutput, WorkPackageHash, WorkPackageOutline, WorkReportOutline, bool_,
)


class Event(Record):
    """One JIP-3 event: its heading in the spec, then its fields in order."""

    def __init__(self, title, *fields):
        super().__init__(*fields)
        self.title = title
        self.event_name = re.sub(r"[^A-Za-z0-9]", "", title.title())


# =============================================================================================
# Meta events
# =============================================================================================

# ### 0: Dropped
Dropped = Event(
    "Dropped",
    "last_timestamp" / Timestamp * "Timestamp of the last dropped event",
    "num_dropped" / u64 * "Number of dropped events",
)

# =============================================================================================
# Status events
# =============================================================================================

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

# =============================================================================================
# Networking events
# =============================================================================================

# ### 20: Connection refused
ConnectionRefused = Event(
    "Connection refused",
    "from" / PeerAddress,
)

# ### 21: Connecting in
ConnectingIn = Event(
    "Connecting in",
    "from" / PeerAddress,
)

# ### 22: Connect in failed
ConnectInFailed = Event(
    "Connect in failed",
    "connecting_id" / EventId * "ID of the corresponding \"connecting in\" event",
    "reason" / Reason,
)

# ### 23: Connected in
ConnectedIn = Event(
    "Connected in",
    "connecting_id" / EventId * "ID of the corresponding \"connecting in\" event",
    "peer_id" / PeerId,
)

# ### 24: Connecting out
ConnectingOut = Event(
    "Connecting out",
    "peer_id" / PeerId,
    "address" / PeerAddress,
)

# ### 25: Connect out failed
ConnectOutFailed = Event(
    "Connect out failed",
    "connecting_id" / EventId * "ID of the corresponding \"connecting out\" event",
    "reason" / Reason,
)

# ### 26: Connected out
ConnectedOut = Event(
    "Connected out",
    "connecting_id" / EventId * "ID of the corresponding \"connecting out\" event",
)

# ### 27: Disconnected
Disconnected = Event(
    "Disconnected",
    "peer_id" / PeerId,
    "terminator" / Option(ConnectionSide) * "Terminator of the connection, may be omitted in "
                                            "case of eg a timeout",
    "reason" / Reason,
)

# ### 28: Peer misbehaved
PeerMisbehaved = Event(
    "Peer misbehaved",
    "peer_id" / PeerId,
    "reason" / Reason,
)

# =============================================================================================
# Block authoring/importing events
# =============================================================================================

# ### 40: Authoring
Authoring = Event(
    "Authoring",
    "slot" / Slot,
    "parent" / HeaderHash * "Of the parent block",
)

# ### 41: Authoring failed
AuthoringFailed = Event(
    "Authoring failed",
    "authoring_id" / EventId * "ID of the corresponding \"authoring\" event",
    "reason" / Reason,
)

# ### 42: Authored
Authored = Event(
    "Authored",
    "authoring_id" / EventId * "ID of the corresponding \"authoring\" event",
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
    "importing_id" / EventId * "ID of the corresponding \"importing\" event",
    "reason" / Reason,
)

# ### 45: Block verified
BlockVerified = Event(
    "Block verified",
    "importing_id" / EventId * "ID of the corresponding \"importing\" event",
)

# ### 46: Block execution failed
BlockExecutionFailed = Event(
    "Block execution failed",
    "authoring_or_importing_id" / EventId * "ID of the corresponding \"authoring\" or "
                                            "\"importing\" event",
    "reason" / Reason,
)

# ### 47: Block executed
BlockExecuted = Event(
    "Block executed",
    "authoring_or_importing_id" / EventId * "ID of the corresponding \"authoring\" or "
                                            "\"importing\" event",
    "accumulated" / Vec(Record(
        "service" / ServiceId,
        "cost" / AccumulateCost,
    )) * "Accumulated services and the cost of their accumulate calls",
)

# =============================================================================================
# Block distribution events
# =============================================================================================

# ### 60: Block announcement stream opened
BlockAnnouncementStreamOpened = Event(
    "Block announcement stream opened",
    "peer_id" / PeerId,
    "opener" / ConnectionSide * "The side that opened the stream",
)

# ### 61: Block announcement stream closed (protocol version 0)
BlockAnnouncementStreamClosed = Event(
    "Block announcement stream closed",
    "peer_id" / PeerId,
    "closer" / ConnectionSide * "The side that closed the stream",
    "reason" / Reason,
)

# ### 61: Block announcement stream closed (protocol version 1)
BlockAnnouncementStreamClosedV1 = Event(
    "Block announcement stream closed",
    "opened_id" / EventId * "ID of the corresponding \"block announcement stream opened\" event",
    "closer" / ConnectionSide * "The side that closed the stream",
    "reason" / Reason,
)

# ### 62: Block announced
BlockAnnounced = Event(
    "Block announced",
    "peer_id" / PeerId,
    "announcer" / ConnectionSide,
    "slot" / Slot,
    "hash" / HeaderHash,
)

# ### 63: Sending block request
SendingBlockRequest = Event(
    "Sending block request",
    "recipient" / PeerId,
    "hash" / HeaderHash,
    "direction" / BlockRequestDirection,
    "max_blocks" / u32 * "Maximum number of blocks",
)

# ### 64: Receiving block request
ReceivingBlockRequest = Event(
    "Receiving block request",
    "sender" / PeerId,
)

# ### 65: Block request failed
BlockRequestFailed = Event(
    "Block request failed",
    "request_id" / EventId * "ID of the corresponding \"sending block request\" or "
                             "\"receiving block request\" event",
    "reason" / Reason,
)

# ### 66: Block request sent
BlockRequestSent = Event(
    "Block request sent",
    "request_id" / EventId * "ID of the corresponding \"sending block request\" event",
)

# ### 67: Block request received
BlockRequestReceived = Event(
    "Block request received",
    "request_id" / EventId * "ID of the corresponding \"receiving block request\" event",
    "hash" / HeaderHash,
    "direction" / BlockRequestDirection,
    "max_blocks" / u32 * "Maximum number of blocks",
)

# ### 68: Block transferred
BlockTransferred = Event(
    "Block transferred",
    "request_id" / EventId * "ID of the corresponding \"sending block request\" or "
                             "\"receiving block request\" event",
    "slot" / Slot,
    "outline" / BlockOutline,
    "last" / bool_ * "Last block for the request?",
)

# =============================================================================================
# Safrole ticket events
# =============================================================================================

# ### 80: Generating tickets
GeneratingTickets = Event(
    "Generating tickets",
    "epoch" / EpochIndex * "The epoch the tickets are to be used in",
)

# ### 81: Ticket generation failed
TicketGenerationFailed = Event(
    "Ticket generation failed",
    "generating_id" / EventId * "ID of the corresponding \"generating tickets\" event",
    "reason" / Reason,
)

# ### 82: Tickets generated
TicketsGenerated = Event(
    "Tickets generated",
    "generating_id" / EventId * "ID of the corresponding \"generating tickets\" event",
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

# =============================================================================================
# Guaranteeing events
# =============================================================================================

# ### 90: Work-package submission
WorkPackageSubmission = Event(
    "Work-package submission",
    "builder" / PeerId,
    "ce_146" / bool_ * "Using CE 146?",
)

# ### 91: Work-package being shared
WorkPackageBeingShared = Event(
    "Work-package being shared",
    "primary" / PeerId * "Primary guarantor",
)

SubmissionOrShareId = EventId * ("ID of the corresponding \"work-package submission\" or "
                                 "\"work-package being shared\" event")
SubmissionId = EventId * "ID of the corresponding \"work-package submission\" event"

# ### 92: Work-package failed
WorkPackageFailed = Event(
    "Work-package failed",
    "submission_or_share_id" / SubmissionOrShareId,
    "reason" / Reason,
)

# ### 93: Duplicate work-package
DuplicateWorkPackage = Event(
    "Duplicate work-package",
    "submission_or_share_id" / SubmissionOrShareId,
    "core" / CoreIndex,
    "hash" / WorkPackageHash,
)

# ### 94: Work-package received
WorkPackageReceived = Event(
    "Work-package received",
    "submission_or_share_id" / SubmissionOrShareId,
    "core" / CoreIndex,
    "outline" / WorkPackageOutline,
)

# ### 95: Authorized
Authorized = Event(
    "Authorized",
    "submission_or_share_id" / SubmissionOrShareId,
    "cost" / IsAuthorizedCost,
)

# ### 96: Extrinsic data received
ExtrinsicDataReceived = Event(
    "Extrinsic data received",
    "submission_or_share_id" / SubmissionOrShareId,
)

# ### 97: Imports received
ImportsReceived = Event(
    "Imports received",
    "submission_or_share_id" / SubmissionOrShareId,
)

# ### 98: Sharing work-package
SharingWorkPackage = Event(
    "Sharing work-package",
    "submission_id" / SubmissionId,
    "secondary" / PeerId * "Secondary guarantor",
)

# ### 99: Work-package sharing failed
WorkPackageSharingFailed = Event(
    "Work-package sharing failed",
    "submission_id" / SubmissionId,
    "secondary" / PeerId * "Secondary guarantor",
    "reason" / Reason,
)

# ### 100: Bundle sent
BundleSent = Event(
    "Bundle sent",
    "submission_id" / SubmissionId,
    "secondary" / PeerId * "Secondary guarantor",
)

# ### 101: Refined
Refined = Event(
    "Refined",
    "submission_or_share_id" / SubmissionOrShareId,
    "costs" / Vec(RefineCost) * "Cost of refine call for each work item",
)

# ### 102: Work-report built
WorkReportBuilt = Event(
    "Work-report built",
    "submission_or_share_id" / SubmissionOrShareId,
    "outline" / WorkReportOutline,
)

# ### 103: Work-report signature sent
WorkReportSignatureSent = Event(
    "Work-report signature sent",
    "share_id" / EventId * "ID of the corresponding \"work-package being shared\" event",
)

# ### 104: Work-report signature received
WorkReportSignatureReceived = Event(
    "Work-report signature received",
    "submission_id" / SubmissionId,
    "secondary" / PeerId * "Secondary guarantor",
)

# ### 105: Guarantee built
GuaranteeBuilt = Event(
    "Guarantee built",
    "submission_id" / SubmissionId,
    "outline" / GuaranteeOutline,
)

# ### 106: Sending guarantee
SendingGuarantee = Event(
    "Sending guarantee",
    "built_id" / EventId * "ID of the corresponding \"guarantee built\" event",
    "recipient" / PeerId,
)

# ### 107: Guarantee send failed
GuaranteeSendFailed = Event(
    "Guarantee send failed",
    "sending_id" / EventId * "ID of the corresponding \"sending guarantee\" event",
    "reason" / Reason,
)

# ### 108: Guarantee sent
GuaranteeSent = Event(
    "Guarantee sent",
    "sending_id" / EventId * "ID of the corresponding \"sending guarantee\" event",
)

# ### 109: Guarantees distributed
GuaranteesDistributed = Event(
    "Guarantees distributed",
    "submission_id" / SubmissionId,
)

# ### 110: Receiving guarantee
ReceivingGuarantee = Event(
    "Receiving guarantee",
    "sender" / PeerId,
)

# ### 111: Guarantee receive failed
GuaranteeReceiveFailed = Event(
    "Guarantee receive failed",
    "receiving_id" / EventId * "ID of the corresponding \"receiving guarantee\" event",
    "reason" / Reason,
)

# ### 112: Guarantee received
GuaranteeReceived = Event(
    "Guarantee received",
    "receiving_id" / EventId * "ID of the corresponding \"receiving guarantee\" event",
    "outline" / GuaranteeOutline,
)

# ### 113: Guarantee discarded
GuaranteeDiscarded = Event(
    "Guarantee discarded",
    "outline" / GuaranteeOutline,
    "reason" / GuaranteeDiscardReason,
)

# =============================================================================================
# Availability distribution events
# =============================================================================================

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
    "request_id" / EventId * "ID of the corresponding \"sending shard request\" or "
                             "\"receiving shard request\" event",
    "reason" / Reason,
)

# ### 123: Shard request sent
ShardRequestSent = Event(
    "Shard request sent",
    "request_id" / EventId * "ID of the corresponding \"sending shard request\" event",
)

# ### 124: Shard request received
ShardRequestReceived = Event(
    "Shard request received",
    "request_id" / EventId * "ID of the corresponding \"receiving shard request\" event",
    "erasure_root" / ErasureRoot,
    "shard" / ShardIndex,
)

# ### 125: Shards transferred
ShardsTransferred = Event(
    "Shards transferred",
    "request_id" / EventId * "ID of the corresponding \"sending shard request\" or "
                             "\"receiving shard request\" event",
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
    "distributing_id" / EventId * "ID of the corresponding \"distributing assurance\" event",
    "recipient" / PeerId,
    "reason" / Reason,
)

# ### 128: Assurance sent
AssuranceSent = Event(
    "Assurance sent",
    "distributing_id" / EventId * "ID of the corresponding \"distributing assurance\" event",
    "recipient" / PeerId,
)

# ### 129: Assurance distributed
AssuranceDistributed = Event(
    "Assurance distributed",
    "distributing_id" / EventId * "ID of the corresponding \"distributing assurance\" event",
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

# =============================================================================================
# Bundle recovery events
# =============================================================================================

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
    "request_id" / EventId * "ID of the corresponding \"sending bundle shard request\" or "
                             "\"receiving bundle shard request\" event",
    "reason" / Reason,
)

# ### 143: Bundle shard request sent
BundleShardRequestSent = Event(
    "Bundle shard request sent",
    "request_id" / EventId * "ID of the corresponding \"sending bundle shard request\" event",
)

# ### 144: Bundle shard request received
BundleShardRequestReceived = Event(
    "Bundle shard request received",
    "request_id" / EventId * "ID of the corresponding \"receiving bundle shard request\" event",
    "erasure_root" / ErasureRoot,
    "shard" / ShardIndex,
)

# ### 145: Bundle shard transferred
BundleShardTransferred = Event(
    "Bundle shard transferred",
    "request_id" / EventId * "ID of the corresponding \"sending bundle shard request\" or "
                             "\"receiving bundle shard request\" event",
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
    "request_id" / EventId * "ID of the corresponding \"sending bundle request\" or "
                             "\"receiving bundle request\" event",
    "reason" / Reason,
)

# ### 151: Bundle request sent
BundleRequestSent = Event(
    "Bundle request sent",
    "request_id" / EventId * "ID of the corresponding \"sending bundle request\" event",
)

# ### 152: Bundle request received
BundleRequestReceived = Event(
    "Bundle request received",
    "request_id" / EventId * "ID of the corresponding \"receiving bundle request\" event",
    "erasure_root" / ErasureRoot,
)

# ### 153: Bundle transferred
BundleTransferred = Event(
    "Bundle transferred",
    "request_id" / EventId * "ID of the corresponding \"sending bundle request\" or "
                             "\"receiving bundle request\" event",
)

# =============================================================================================
# Segment recovery events
# =============================================================================================

# ### 160: Work-package hash mapped
WorkPackageHashMapped = Event(
    "Work-package hash mapped",
    "submission_id" / SubmissionId,
    "work_package_hash" / WorkPackageHash,
    "segments_root" / SegmentsRoot,
)

# ### 161: Segments-root mapped
SegmentsRootMapped = Event(
    "Segments-root mapped",
    "submission_id" / SubmissionId,
    "segments_root" / SegmentsRoot,
    "erasure_root" / ErasureRoot,
)

# ### 162: Sending segment shard request
SendingSegmentShardRequest = Event(
    "Sending segment shard request",
    "submission_id" / SubmissionId,
    "assurer" / PeerId,
    "ce_140" / bool_ * "Using CE 140?",
    "shards" / Vec(Record(
        "segment" / ImportSegmentId,
        "shard" / ShardIndex,
    )) * "Segment shards being requested",
)

# ### 163: Receiving segment shard request
ReceivingSegmentShardRequest = Event(
    "Receiving segment shard request",
    "sender" / PeerId,
    "ce_140" / bool_ * "Using CE 140?",
)

# ### 164: Segment shard request failed
SegmentShardRequestFailed = Event(
    "Segment shard request failed",
    "request_id" / EventId * "ID of the corresponding \"sending segment shard request\" or "
                             "\"receiving segment shard request\" event",
    "reason" / Reason,
)

# ### 165: Segment shard request sent
SegmentShardRequestSent = Event(
    "Segment shard request sent",
    "request_id" / EventId * "ID of the corresponding \"sending segment shard request\" event",
)

# ### 166: Segment shard request received
SegmentShardRequestReceived = Event(
    "Segment shard request received",
    "request_id" / EventId * "ID of the corresponding \"receiving segment shard request\" event",
    "num_shards" / u16 * "Number of segment shards requested",
)

# ### 167: Segment shards transferred
SegmentShardsTransferred = Event(
    "Segment shards transferred",
    "request_id" / EventId * "ID of the corresponding \"sending segment shard request\" or "
                             "\"receiving segment shard request\" event",
)

# ### 168: Reconstructing segments
ReconstructingSegments = Event(
    "Reconstructing segments",
    "submission_id" / SubmissionId,
    "segments" / Vec(ImportSegmentId) * "Segments being reconstructed",
    "trivial" / bool_ * "Is this a trivial reconstruction, using only original-data shards?",
)

# ### 169: Segment reconstruction failed
SegmentReconstructionFailed = Event(
    "Segment reconstruction failed",
    "reconstructing_id" / EventId * "ID of the corresponding \"reconstructing segments\" event",
    "reason" / Reason,
)

# ### 170: Segments reconstructed
SegmentsReconstructed = Event(
    "Segments reconstructed",
    "reconstructing_id" / EventId * "ID of the corresponding \"reconstructing segments\" event",
)

# ### 171: Segment verification failed
SegmentVerificationFailed = Event(
    "Segment verification failed",
    "submission_id" / SubmissionId,
    "segments" / Vec(u16) * "Indices of the failed segments in the import list",
    "reason" / Reason,
)

# ### 172: Segments verified
SegmentsVerified = Event(
    "Segments verified",
    "submission_id" / SubmissionId,
    "segments" / Vec(u16) * "Indices of the verified segments in the import list",
)

# ### 173: Sending segment request
SendingSegmentRequest = Event(
    "Sending segment request",
    "submission_id" / SubmissionId,
    "prev_guarantor" / PeerId * "Previous guarantor",
    "segments" / Vec(u16) * "Indices of requested segments in overall list of work-package "
                            "imports",
)

# ### 174: Receiving segment request
ReceivingSegmentRequest = Event(
    "Receiving segment request",
    "guarantor" / PeerId,
)

# ### 175: Segment request failed
SegmentRequestFailed = Event(
    "Segment request failed",
    "request_id" / EventId * "ID of the corresponding \"sending segment request\" or "
                             "\"receiving segment request\" event",
    "reason" / Reason,
)

# ### 176: Segment request sent
SegmentRequestSent = Event(
    "Segment request sent",
    "request_id" / EventId * "ID of the corresponding \"sending segment request\" event",
)

# ### 177: Segment request received
SegmentRequestReceived = Event(
    "Segment request received",
    "request_id" / EventId * "ID of the corresponding \"receiving segment request\" event",
    "num_segments" / u16 * "Number of segments requested",
)

# ### 178: Segments transferred
SegmentsTransferred = Event(
    "Segments transferred",
    "request_id" / EventId * "ID of the corresponding \"sending segment request\" or "
                             "\"receiving segment request\" event",
)

# =============================================================================================
# Preimage distribution events
# =============================================================================================

# ### 190: Preimage announcement failed
PreimageAnnouncementFailed = Event(
    "Preimage announcement failed",
    "peer_id" / PeerId,
    "announcer" / ConnectionSide,
    "reason" / Reason,
)

# ### 191: Preimage announced
PreimageAnnounced = Event(
    "Preimage announced",
    "peer_id" / PeerId,
    "announcer" / ConnectionSide,
    "service" / ServiceId * "Requesting service",
    "hash" / Hash,
    "length" / u32 * "Preimage length",
)

# ### 192: Announced preimage forgotten
AnnouncedPreimageForgotten = Event(
    "Announced preimage forgotten",
    "service" / ServiceId * "Requesting service",
    "hash" / Hash,
    "length" / u32 * "Preimage length",
    "reason" / AnnouncedPreimageForgetReason,
)

# ### 193: Sending preimage request
SendingPreimageRequest = Event(
    "Sending preimage request",
    "recipient" / PeerId,
    "hash" / Hash,
)

# ### 194: Receiving preimage request
ReceivingPreimageRequest = Event(
    "Receiving preimage request",
    "sender" / PeerId,
)

# ### 195: Preimage request failed
PreimageRequestFailed = Event(
    "Preimage request failed",
    "request_id" / EventId * "ID of the corresponding \"sending preimage request\" or "
                             "\"receiving preimage request\" event",
    "reason" / Reason,
)

# ### 196: Preimage request sent
PreimageRequestSent = Event(
    "Preimage request sent",
    "request_id" / EventId * "ID of the corresponding \"sending preimage request\" event",
)

# ### 197: Preimage request received
PreimageRequestReceived = Event(
    "Preimage request received",
    "request_id" / EventId * "ID of the corresponding \"receiving preimage request\" event",
    "hash" / Hash,
)

# ### 198: Preimage transferred
PreimageTransferred = Event(
    "Preimage transferred",
    "request_id" / EventId * "ID of the corresponding \"sending preimage request\" or "
                             "\"receiving preimage request\" event",
    "length" / u32 * "Preimage length",
)

# ### 199: Preimage discarded
PreimageDiscarded = Event(
    "Preimage discarded",
    "hash" / Hash,
    "length" / u32 * "Preimage length",
    "reason" / PreimageDiscardReason,
)


# =============================================================================================
# The event message: Timestamp ++ discriminator ++ event, and the index of every event
# =============================================================================================
EVENTS = {
    0: Dropped,
    10: Status,
    11: BestBlockChanged,
    12: FinalizedBlockChanged,
    13: SyncStatusChanged,
    20: ConnectionRefused,
    21: ConnectingIn,
    22: ConnectInFailed,
    23: ConnectedIn,
    24: ConnectingOut,
    25: ConnectOutFailed,
    26: ConnectedOut,
    27: Disconnected,
    28: PeerMisbehaved,
    40: Authoring,
    41: AuthoringFailed,
    42: Authored,
    43: Importing,
    44: BlockVerificationFailed,
    45: BlockVerified,
    46: BlockExecutionFailed,
    47: BlockExecuted,
    60: BlockAnnouncementStreamOpened,
    61: BlockAnnouncementStreamClosed,
    62: BlockAnnounced,
    63: SendingBlockRequest,
    64: ReceivingBlockRequest,
    65: BlockRequestFailed,
    66: BlockRequestSent,
    67: BlockRequestReceived,
    68: BlockTransferred,
    80: GeneratingTickets,
    81: TicketGenerationFailed,
    82: TicketsGenerated,
    83: TicketTransferFailed,
    84: TicketTransferred,
    90: WorkPackageSubmission,
    91: WorkPackageBeingShared,
    92: WorkPackageFailed,
    93: DuplicateWorkPackage,
    94: WorkPackageReceived,
    95: Authorized,
    96: ExtrinsicDataReceived,
    97: ImportsReceived,
    98: SharingWorkPackage,
    99: WorkPackageSharingFailed,
    100: BundleSent,
    101: Refined,
    102: WorkReportBuilt,
    103: WorkReportSignatureSent,
    104: WorkReportSignatureReceived,
    105: GuaranteeBuilt,
    106: SendingGuarantee,
    107: GuaranteeSendFailed,
    108: GuaranteeSent,
    109: GuaranteesDistributed,
    110: ReceivingGuarantee,
    111: GuaranteeReceiveFailed,
    112: GuaranteeReceived,
    113: GuaranteeDiscarded,
    120: SendingShardRequest,
    121: ReceivingShardRequest,
    122: ShardRequestFailed,
    123: ShardRequestSent,
    124: ShardRequestReceived,
    125: ShardsTransferred,
    126: DistributingAssurance,
    127: AssuranceSendFailed,
    128: AssuranceSent,
    129: AssuranceDistributed,
    130: AssuranceReceiveFailed,
    131: AssuranceReceived,
    140: SendingBundleShardRequest,
    141: ReceivingBundleShardRequest,
    142: BundleShardRequestFailed,
    143: BundleShardRequestSent,
    144: BundleShardRequestReceived,
    145: BundleShardTransferred,
    146: ReconstructingBundle,
    147: BundleReconstructed,
    148: SendingBundleRequest,
    149: ReceivingBundleRequest,
    150: BundleRequestFailed,
    151: BundleRequestSent,
    152: BundleRequestReceived,
    153: BundleTransferred,
    160: WorkPackageHashMapped,
    161: SegmentsRootMapped,
    162: SendingSegmentShardRequest,
    163: ReceivingSegmentShardRequest,
    164: SegmentShardRequestFailed,
    165: SegmentShardRequestSent,
    166: SegmentShardRequestReceived,
    167: SegmentShardsTransferred,
    168: ReconstructingSegments,
    169: SegmentReconstructionFailed,
    170: SegmentsReconstructed,
    171: SegmentVerificationFailed,
    172: SegmentsVerified,
    173: SendingSegmentRequest,
    174: ReceivingSegmentRequest,
    175: SegmentRequestFailed,
    176: SegmentRequestSent,
    177: SegmentRequestReceived,
    178: SegmentsTransferred,
    190: PreimageAnnouncementFailed,
    191: PreimageAnnounced,
    192: AnnouncedPreimageForgotten,
    193: SendingPreimageRequest,
    194: ReceivingPreimageRequest,
    195: PreimageRequestFailed,
    196: PreimageRequestSent,
    197: PreimageRequestReceived,
    198: PreimageTransferred,
    199: PreimageDiscarded,
}

# Protocol version 1 changes only event 61.
EVENTS_V1 = {**EVENTS, 61: BlockAnnouncementStreamClosedV1}

EVENTS_BY_VERSION = {0: EVENTS, 1: EVENTS_V1}

# The spec's section headings over the events, in its order (the generated docs follow them).
# Auditing and finality events are still "TODO." in the spec.
SECTIONS = {
    "Meta events": (0,),
    "Status events": range(10, 14),
    "Networking events": range(20, 29),
    "Block authoring/importing events": range(40, 48),
    "Block distribution events": range(60, 69),
    "Safrole ticket events": range(80, 85),
    "Guaranteeing events": range(90, 114),
    "Availability distribution events": range(120, 132),
    "Bundle recovery events": range(140, 154),
    "Segment recovery events": range(160, 179),
    "Preimage distribution events": range(190, 200),
    "Auditing events": (),
    "Finality events": (),
}


def EventMessage(events):
    """``Timestamp ++ u8 (discriminator) ++ event`` for one protocol version's event table."""
    return Struct(
        "timestamp" / Timestamp,
        "discriminator" / u8,
        "event" / Switch(this.discriminator, events),
    )


EventMessageV0 = EventMessage(EVENTS)
EventMessageV1 = EventMessage(EVENTS_V1)
