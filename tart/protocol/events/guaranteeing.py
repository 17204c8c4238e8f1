"""JIP-3 "Guaranteeing events"."""

from tart.protocol.composites import Vec
from tart.protocol.events.event import Corresponding, Event
from tart.protocol.types import (
    CoreIndex,
    GuaranteeDiscardReason,
    GuaranteeOutline,
    IsAuthorizedCost,
    PeerId,
    Reason,
    RefineCost,
    WorkPackageHash,
    WorkPackageOutline,
    WorkReportOutline,
    bool_,
)

WorkPackageSubmission = Event(
    90,
    "Work-package submission",
    (
        "Emitted when a builder opens a stream to submit a work-package (CE 133/146). This should "
        "be emitted as soon as the stream is opened, before the work-package is read from the "
        "stream."
    ),
    "builder" / PeerId,
    "ce_146" / bool_ * "Using CE 146?",
)

WorkPackageBeingShared = Event(
    91,
    "Work-package being shared",
    (
        "Emitted by the secondary guarantor when a work-package sharing stream is opened (CE 134). "
        "This should be emitted as soon as the stream is opened, before any messages are read from "
        "the stream."
    ),
    "primary" / PeerId * "Primary guarantor",
)

SubmissionOrShareId = Corresponding("work-package submission", "work-package being shared")
SubmissionId = Corresponding("work-package submission")

WorkPackageFailed = Event(
    92,
    "Work-package failed",
    (
        "Emitted if receiving a work-package from a builder or another guarantor fails, or "
        "processing of a received work-package fails. This may be emitted at any point in the "
        "guarantor pipeline."
    ),
    "submission_or_share_id" / SubmissionOrShareId,
    "reason" / Reason,
)

DuplicateWorkPackage = Event(
    93,
    "Duplicate work-package",
    (
        'Emitted when a "duplicate" work-package is received from a builder or shared by another '
        "guarantor (CE 133/134). A duplicate work-package is one that exactly matches (same hash) "
        "a previously received work-package. This event may be emitted at any point in the "
        'guarantor pipeline. In particular, it may be emitted instead of a "work-package received" '
        "event. An efficient implementation should check for duplicates early on to avoid wasted "
        "effort! In the case of a duplicate work-package received from a builder, no further "
        "events should be emitted referencing the submission. In the case of a duplicate "
        "work-package shared by another guarantor, only one more event should be emitted "
        'referencing the "work-package being shared" event: either a "work-package failed" event '
        'indicating failure or a "work-report signature sent" event indicating success.'
    ),
    "submission_or_share_id" / SubmissionOrShareId,
    "core" / CoreIndex,
    "hash" / WorkPackageHash,
)

WorkPackageReceived = Event(
    94,
    "Work-package received",
    (
        "Emitted once a work-package has been received from a builder or a primary guarantor (CE "
        "133/134). This should be emitted _before_ authorization is checked, and ideally before "
        "the extrinsic data and imports are received/fetched."
    ),
    "submission_or_share_id" / SubmissionOrShareId,
    "core" / CoreIndex,
    "outline" / WorkPackageOutline,
)

Authorized = Event(
    95,
    "Authorized",
    (
        "Emitted once basic validity checks have been performed on a received work-package, "
        "including the authorization check. This should be emitted by both primary (received the "
        "work-package from a builder) and secondary (received the work-package from a primary) "
        "guarantors."
    ),
    "submission_or_share_id" / SubmissionOrShareId,
    "cost" / IsAuthorizedCost,
)

ExtrinsicDataReceived = Event(
    96,
    "Extrinsic data received",
    (
        "Emitted once the extrinsic data for a work-package has been received from a builder or a "
        "primary guarantor (CE 133/134) and verified as consistent with the extrinsic hashes in "
        "the work-package."
    ),
    "submission_or_share_id" / SubmissionOrShareId,
)

ImportsReceived = Event(
    97,
    "Imports received",
    "Emitted once all the imports for a work-package have been fetched/received and verified.",
    "submission_or_share_id" / SubmissionOrShareId,
)

SharingWorkPackage = Event(
    98,
    "Sharing work-package",
    "Emitted by the primary guarantor when a work-package sharing stream is opened (CE 134).",
    "submission_id" / SubmissionId,
    "secondary" / PeerId * "Secondary guarantor",
)

WorkPackageSharingFailed = Event(
    99,
    "Work-package sharing failed",
    (
        "Emitted if sharing a work-package with another guarantor fails (CE 134). Possible "
        "failures include failure to send the bundle, failure to receive a work-report signature, "
        'or receipt of an invalid work-report signature (in this case, a "peer misbehaved" event '
        "should also be emitted for the secondary guarantor). This event should only be emitted by "
        'the primary guarantor; the secondary guarantor should emit the "work-package failed" '
        "event on failure."
    ),
    "submission_id" / SubmissionId,
    "secondary" / PeerId * "Secondary guarantor",
    "reason" / Reason,
)

BundleSent = Event(
    100,
    "Bundle sent",
    (
        "Emitted by the primary guarantor once a work-package bundle has been sent to a secondary "
        "guarantor (CE 134)."
    ),
    "submission_id" / SubmissionId,
    "secondary" / PeerId * "Secondary guarantor",
)

Refined = Event(
    101,
    "Refined",
    (
        "Emitted once a work-package has been refined locally. This should be emitted by both "
        "primary and secondary guarantors."
    ),
    "submission_or_share_id" / SubmissionOrShareId,
    "costs" / Vec(RefineCost) * "Cost of refine call for each work item",
)

WorkReportBuilt = Event(
    102,
    "Work-report built",
    (
        "Emitted once a work-report has been built for a work-package. This should be emitted by "
        "both primary and secondary guarantors."
    ),
    "submission_or_share_id" / SubmissionOrShareId,
    "outline" / WorkReportOutline,
)

WorkReportSignatureSent = Event(
    103,
    "Work-report signature sent",
    (
        "Emitted once a work-report signature for a shared work-package has been sent to the "
        "primary guarantor (CE 134). This is the final event in the guaranteeing pipeline for "
        "secondary guarantors."
    ),
    "share_id" / Corresponding("work-package being shared"),
)

WorkReportSignatureReceived = Event(
    104,
    "Work-report signature received",
    (
        "Emitted by the primary guarantor once a valid work-report signature has been received "
        "from a secondary guarantor (CE 134). If an invalid work-report signature is received, a "
        '"work-package sharing failed" event should be emitted instead, as well as a "peer '
        'misbehaved" event.'
    ),
    "submission_id" / SubmissionId,
    "secondary" / PeerId * "Secondary guarantor",
)

GuaranteeBuilt = Event(
    105,
    "Guarantee built",
    (
        "Emitted by the primary guarantor once a work-report guarantee has been built. If a "
        "secondary guarantor is slow to send their signature, this event may be emitted twice: "
        "once for the guarantee with just two signatures, and again for the guarantee with all "
        "three signatures."
    ),
    "submission_id" / SubmissionId,
    "outline" / GuaranteeOutline,
)

SendingGuarantee = Event(
    106,
    "Sending guarantee",
    (
        "Emitted when a guarantor begins sending a work-report guarantee to another validator, for "
        'potential inclusion in a block (CE 135). This should reference the "guarantee built" '
        "event corresponding to the guarantee that is being sent."
    ),
    "built_id" / Corresponding("guarantee built"),
    "recipient" / PeerId,
)

GuaranteeSendFailed = Event(
    107,
    "Guarantee send failed",
    "Emitted if sending a work-report guarantee fails (CE 135).",
    "sending_id" / Corresponding("sending guarantee"),
    "reason" / Reason,
)

GuaranteeSent = Event(
    108,
    "Guarantee sent",
    "Emitted if sending a work-report guarantee succeeds (CE 135).",
    "sending_id" / Corresponding("sending guarantee"),
)

GuaranteesDistributed = Event(
    109,
    "Guarantees distributed",
    (
        "Emitted by the primary guarantor once they have finished distributing the work-report "
        "guarantee(s). This is the final event in the guaranteeing pipeline for primary "
        "guarantors. This event may be emitted even if the guarantor was not successful in sending "
        "the guarantee(s) to any other validator, although the guarantor may prefer to emit a "
        '"work-package failed" event in that case.'
    ),
    "submission_id" / SubmissionId,
)

ReceivingGuarantee = Event(
    110,
    "Receiving guarantee",
    ("Emitted by the recipient when a guarantor begins sending a work-report guarantee (CE 135)."),
    "sender" / PeerId,
)

GuaranteeReceiveFailed = Event(
    111,
    "Guarantee receive failed",
    "Emitted if receiving a work-report guarantee fails (CE 135).",
    "receiving_id" / Corresponding("receiving guarantee"),
    "reason" / Reason,
)

GuaranteeReceived = Event(
    112,
    "Guarantee received",
    (
        "Emitted if receiving a work-report guarantee succeeds (CE 135). This should be emitted "
        'before the guarantee is checked. If the guarantee is found to be invalid, a "peer '
        'misbehaved" event should be emitted.'
    ),
    "receiving_id" / Corresponding("receiving guarantee"),
    "outline" / GuaranteeOutline,
)

GuaranteeDiscarded = Event(
    113,
    "Guarantee discarded",
    "Emitted when a guarantee is discarded from the local guarantee pool.",
    "outline" / GuaranteeOutline,
    "reason" / GuaranteeDiscardReason,
)
