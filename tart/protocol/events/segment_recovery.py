"""JIP-3 "Segment recovery events"."""

from tart.protocol.composites import Record, Vec
from tart.protocol.events.event import Corresponding, Event
from tart.protocol.events.guaranteeing import SubmissionId
from tart.protocol.primitives import u16
from tart.protocol.types import (
    ErasureRoot,
    ImportSegmentId,
    PeerId,
    Reason,
    SegmentsRoot,
    ShardIndex,
    WorkPackageHash,
    bool_,
)

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
    "shards"
    / Vec(
        Record(
            "segment" / ImportSegmentId,
            "shard" / ShardIndex,
        )
    )
    * "Segment shards being requested",
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
    "request_id"
    / Corresponding("sending segment shard request", "receiving segment shard request"),
    "reason" / Reason,
)

# ### 165: Segment shard request sent
SegmentShardRequestSent = Event(
    "Segment shard request sent",
    "request_id" / Corresponding("sending segment shard request"),
)

# ### 166: Segment shard request received
SegmentShardRequestReceived = Event(
    "Segment shard request received",
    "request_id" / Corresponding("receiving segment shard request"),
    "num_shards" / u16 * "Number of segment shards requested",
)

# ### 167: Segment shards transferred
SegmentShardsTransferred = Event(
    "Segment shards transferred",
    "request_id"
    / Corresponding("sending segment shard request", "receiving segment shard request"),
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
    "reconstructing_id" / Corresponding("reconstructing segments"),
    "reason" / Reason,
)

# ### 170: Segments reconstructed
SegmentsReconstructed = Event(
    "Segments reconstructed",
    "reconstructing_id" / Corresponding("reconstructing segments"),
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
    "segments" / Vec(u16) * "Indices of requested segments in overall list of work-package imports",
)

# ### 174: Receiving segment request
ReceivingSegmentRequest = Event(
    "Receiving segment request",
    "guarantor" / PeerId,
)

# ### 175: Segment request failed
SegmentRequestFailed = Event(
    "Segment request failed",
    "request_id" / Corresponding("sending segment request", "receiving segment request"),
    "reason" / Reason,
)

# ### 176: Segment request sent
SegmentRequestSent = Event(
    "Segment request sent",
    "request_id" / Corresponding("sending segment request"),
)

# ### 177: Segment request received
SegmentRequestReceived = Event(
    "Segment request received",
    "request_id" / Corresponding("receiving segment request"),
    "num_segments" / u16 * "Number of segments requested",
)

# ### 178: Segments transferred
SegmentsTransferred = Event(
    "Segments transferred",
    "request_id" / Corresponding("sending segment request", "receiving segment request"),
)
