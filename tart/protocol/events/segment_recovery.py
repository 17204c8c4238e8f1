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

WorkPackageHashMapped = Event(
    160,
    "Work-package hash mapped",
    (
        "Emitted when a work-package hash is mapped to a segments-root for the purpose of segment "
        "recovery."
    ),
    "submission_id" / SubmissionId,
    "work_package_hash" / WorkPackageHash,
    "segments_root" / SegmentsRoot,
)

SegmentsRootMapped = Event(
    161,
    "Segments-root mapped",
    (
        "Emitted when a segments-root is mapped to an erasure-root for the purpose of segment "
        "recovery."
    ),
    "submission_id" / SubmissionId,
    "segments_root" / SegmentsRoot,
    "erasure_root" / ErasureRoot,
)

SendingSegmentShardRequest = Event(
    162,
    "Sending segment shard request",
    ("Emitted when a guarantor begins sending a segment shard request to an assurer (CE 139/140)."),
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

ReceivingSegmentShardRequest = Event(
    163,
    "Receiving segment shard request",
    "Emitted by the recipient when a node begins sending a segment shard request (CE 139/140).",
    "sender" / PeerId,
    "ce_140" / bool_ * "Using CE 140?",
)

SegmentShardRequestFailed = Event(
    164,
    "Segment shard request failed",
    (
        "Emitted when a segment shard request fails (CE 139/140). This should be emitted by both "
        "sides."
    ),
    "request_id"
    / Corresponding("sending segment shard request", "receiving segment shard request"),
    "reason" / Reason,
)

SegmentShardRequestSent = Event(
    165,
    "Segment shard request sent",
    (
        "Emitted once a segment shard request has been sent to an assurer (CE 139/140). This "
        "should be emitted after the initial message containing the request details has been "
        "transmitted."
    ),
    "request_id" / Corresponding("sending segment shard request"),
)

SegmentShardRequestReceived = Event(
    166,
    "Segment shard request received",
    "Emitted once a segment shard request has been received (CE 139/140).",
    "request_id" / Corresponding("receiving segment shard request"),
    "num_shards" / u16 * "Number of segment shards requested",
)

SegmentShardsTransferred = Event(
    167,
    "Segment shards transferred",
    (
        "Emitted when a segment shard request completes successfully (CE 139/140). This should be "
        "emitted by both sides."
    ),
    "request_id"
    / Corresponding("sending segment shard request", "receiving segment shard request"),
)

ReconstructingSegments = Event(
    168,
    "Reconstructing segments",
    ("Emitted when reconstruction of a set of segments from shards received from assurers begins."),
    "submission_id" / SubmissionId,
    "segments" / Vec(ImportSegmentId) * "Segments being reconstructed",
    "trivial" / bool_ * "Is this a trivial reconstruction, using only original-data shards?",
)

SegmentReconstructionFailed = Event(
    169,
    "Segment reconstruction failed",
    "Emitted if reconstruction of a set of segments fails.",
    "reconstructing_id" / Corresponding("reconstructing segments"),
    "reason" / Reason,
)

SegmentsReconstructed = Event(
    170,
    "Segments reconstructed",
    "Emitted once a set of segments has been successfully reconstructed from shards.",
    "reconstructing_id" / Corresponding("reconstructing segments"),
)

SegmentVerificationFailed = Event(
    171,
    "Segment verification failed",
    (
        "Emitted if, following reconstruction of a segment and its proof page, extraction or "
        "verification of the segment proof fails. This should only be possible in two cases: - CE "
        "139 was used to fetch some of the segment shards. CE 139 responses are not justified; "
        "requesters cannot verify that returned shards are consistent with their erasure-roots. - "
        "The erasure-root or segments-root is incorrect. This implies an invalid work-report for "
        "the exporting work-package. For efficiency, multiple segments may be reported in a single "
        "event."
    ),
    "submission_id" / SubmissionId,
    "segments" / Vec(u16) * "Indices of the failed segments in the import list",
    "reason" / Reason,
)

SegmentsVerified = Event(
    172,
    "Segments verified",
    (
        "Emitted once a reconstructed segment has been successfully verified against the "
        "corresponding segments-root. For efficiency, multiple segments may be reported in a "
        "single event."
    ),
    "submission_id" / SubmissionId,
    "segments" / Vec(u16) * "Indices of the verified segments in the import list",
)

SendingSegmentRequest = Event(
    173,
    "Sending segment request",
    (
        "Emitted when a guarantor begins sending a segment request to a previous guarantor (CE "
        "148). Note that proof pages need not (and in fact cannot) be requested using this "
        "protocol, hence the use of `u16` rather than `Import Segment ID` to identify each "
        "requested segment."
    ),
    "submission_id" / SubmissionId,
    "prev_guarantor" / PeerId * "Previous guarantor",
    "segments" / Vec(u16) * "Indices of requested segments in overall list of work-package imports",
)

ReceivingSegmentRequest = Event(
    174,
    "Receiving segment request",
    "Emitted by the recipient when a guarantor begins sending a segment request (CE 148).",
    "guarantor" / PeerId,
)

SegmentRequestFailed = Event(
    175,
    "Segment request failed",
    "Emitted when a segment request fails (CE 148). This should be emitted by both sides.",
    "request_id" / Corresponding("sending segment request", "receiving segment request"),
    "reason" / Reason,
)

SegmentRequestSent = Event(
    176,
    "Segment request sent",
    (
        "Emitted once a segment request has been sent to a previous guarantor (CE 148). This "
        "should be emitted after the initial message containing the request details has been "
        "transmitted."
    ),
    "request_id" / Corresponding("sending segment request"),
)

SegmentRequestReceived = Event(
    177,
    "Segment request received",
    "Emitted once a segment request has been received from a guarantor (CE 148).",
    "request_id" / Corresponding("receiving segment request"),
    "num_segments" / u16 * "Number of segments requested",
)

SegmentsTransferred = Event(
    178,
    "Segments transferred",
    (
        "Emitted when a segment request completes successfully (CE 148). This should be emitted by "
        "both sides."
    ),
    "request_id" / Corresponding("sending segment request", "receiving segment request"),
)
