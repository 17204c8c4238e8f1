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

SubmissionOrShareId = Corresponding("work-package submission", "work-package being shared")
SubmissionId = Corresponding("work-package submission")

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
    "share_id" / Corresponding("work-package being shared"),
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
    "built_id" / Corresponding("guarantee built"),
    "recipient" / PeerId,
)

# ### 107: Guarantee send failed
GuaranteeSendFailed = Event(
    "Guarantee send failed",
    "sending_id" / Corresponding("sending guarantee"),
    "reason" / Reason,
)

# ### 108: Guarantee sent
GuaranteeSent = Event(
    "Guarantee sent",
    "sending_id" / Corresponding("sending guarantee"),
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
    "receiving_id" / Corresponding("receiving guarantee"),
    "reason" / Reason,
)

# ### 112: Guarantee received
GuaranteeReceived = Event(
    "Guarantee received",
    "receiving_id" / Corresponding("receiving guarantee"),
    "outline" / GuaranteeOutline,
)

# ### 113: Guarantee discarded
GuaranteeDiscarded = Event(
    "Guarantee discarded",
    "outline" / GuaranteeOutline,
    "reason" / GuaranteeDiscardReason,
)
