"""JIP-3 "Event messages": every event, defined under the spec's headings, one module a section.

Every event message is ``Timestamp ++ u8 (discriminator) ++ fields``. The table below maps each
discriminator to its definition, so it reads as the spec's index of events; an event's JSON name
is its heading in PascalCase ("Best block changed" → ``BestBlockChanged``).
"""

from construct import Struct, Switch, this

from tart.protocol.events.availability import (
    AssuranceDistributed,
    AssuranceReceived,
    AssuranceReceiveFailed,
    AssuranceSendFailed,
    AssuranceSent,
    DistributingAssurance,
    ReceivingShardRequest,
    SendingShardRequest,
    ShardRequestFailed,
    ShardRequestReceived,
    ShardRequestSent,
    ShardsTransferred,
)
from tart.protocol.events.block_authoring import (
    Authored,
    Authoring,
    AuthoringFailed,
    BlockExecuted,
    BlockExecutionFailed,
    BlockVerificationFailed,
    BlockVerified,
    Importing,
)
from tart.protocol.events.block_distribution import (
    BlockAnnounced,
    BlockAnnouncementStreamClosed,
    BlockAnnouncementStreamClosedV1,
    BlockAnnouncementStreamOpened,
    BlockRequestFailed,
    BlockRequestReceived,
    BlockRequestSent,
    BlockTransferred,
    ReceivingBlockRequest,
    SendingBlockRequest,
)
from tart.protocol.events.bundle_recovery import (
    BundleReconstructed,
    BundleRequestFailed,
    BundleRequestReceived,
    BundleRequestSent,
    BundleShardRequestFailed,
    BundleShardRequestReceived,
    BundleShardRequestSent,
    BundleShardTransferred,
    BundleTransferred,
    ReceivingBundleRequest,
    ReceivingBundleShardRequest,
    ReconstructingBundle,
    SendingBundleRequest,
    SendingBundleShardRequest,
)
from tart.protocol.events.event import Category, Event
from tart.protocol.events.guaranteeing import (
    Authorized,
    BundleSent,
    DuplicateWorkPackage,
    ExtrinsicDataReceived,
    GuaranteeBuilt,
    GuaranteeDiscarded,
    GuaranteeReceived,
    GuaranteeReceiveFailed,
    GuaranteesDistributed,
    GuaranteeSendFailed,
    GuaranteeSent,
    ImportsReceived,
    ReceivingGuarantee,
    Refined,
    SendingGuarantee,
    SharingWorkPackage,
    WorkPackageBeingShared,
    WorkPackageFailed,
    WorkPackageReceived,
    WorkPackageSharingFailed,
    WorkPackageSubmission,
    WorkReportBuilt,
    WorkReportSignatureReceived,
    WorkReportSignatureSent,
)
from tart.protocol.events.meta import Dropped
from tart.protocol.events.networking import (
    ConnectedIn,
    ConnectedOut,
    ConnectInFailed,
    ConnectingIn,
    ConnectingOut,
    ConnectionRefused,
    ConnectOutFailed,
    Disconnected,
    PeerMisbehaved,
)
from tart.protocol.events.preimages import (
    AnnouncedPreimageForgotten,
    PreimageAnnounced,
    PreimageAnnouncementFailed,
    PreimageDiscarded,
    PreimageRequestFailed,
    PreimageRequestReceived,
    PreimageRequestSent,
    PreimageTransferred,
    ReceivingPreimageRequest,
    SendingPreimageRequest,
)
from tart.protocol.events.safrole_tickets import (
    GeneratingTickets,
    TicketGenerationFailed,
    TicketsGenerated,
    TicketTransferFailed,
    TicketTransferred,
)
from tart.protocol.events.segment_recovery import (
    ReceivingSegmentRequest,
    ReceivingSegmentShardRequest,
    ReconstructingSegments,
    SegmentReconstructionFailed,
    SegmentRequestFailed,
    SegmentRequestReceived,
    SegmentRequestSent,
    SegmentShardRequestFailed,
    SegmentShardRequestReceived,
    SegmentShardRequestSent,
    SegmentShardsTransferred,
    SegmentsReconstructed,
    SegmentsRootMapped,
    SegmentsTransferred,
    SegmentsVerified,
    SegmentVerificationFailed,
    SendingSegmentRequest,
    SendingSegmentShardRequest,
    WorkPackageHashMapped,
)
from tart.protocol.events.status import (
    BestBlockChanged,
    FinalizedBlockChanged,
    Status,
    SyncStatusChanged,
)
from tart.protocol.primitives import u8
from tart.protocol.types import Timestamp

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


def _references(table):
    """``{discriminator: {field: discriminators}}``: which earlier events each Event ID field
    of an event may name ("ID of the corresponding … event"), by the headings it quotes."""
    by_heading = {event.title.lower(): discriminator for discriminator, event in table.items()}
    return {
        discriminator: {
            field: frozenset(by_heading[heading.lower()] for heading in headings)
            for field, headings in event.references.items()
        }
        for discriminator, event in table.items()
        if event.references
    }


# Bundle recovery's "Event ID (TODO, should reference auditing event)" names no kind yet.
REFERENCES_BY_VERSION = {
    version: _references(table) for version, table in EVENTS_BY_VERSION.items()
}

# The spec's sections of events, in its order (the generated docs follow them); each is a
# module of this package. Auditing and finality events are still "TODO." in the spec.
CATEGORIES = (
    Category("meta", "Meta events", (0,)),
    Category("status", "Status events", tuple(range(10, 14))),
    Category("networking", "Networking events", tuple(range(20, 29))),
    Category("block_authoring", "Block authoring/importing events", tuple(range(40, 48))),
    Category("block_distribution", "Block distribution events", tuple(range(60, 69))),
    Category("safrole_tickets", "Safrole ticket events", tuple(range(80, 85))),
    Category("guaranteeing", "Guaranteeing events", tuple(range(90, 114))),
    Category("availability", "Availability distribution events", tuple(range(120, 132))),
    Category("bundle_recovery", "Bundle recovery events", tuple(range(140, 154))),
    Category("segment_recovery", "Segment recovery events", tuple(range(160, 179))),
    Category("preimages", "Preimage distribution events", tuple(range(190, 200))),
    Category("auditing", "Auditing events", ()),
    Category("finality", "Finality events", ()),
)


def _file_events_under_their_categories():
    for category in CATEGORIES:
        for discriminator in category.discriminators:
            for events in EVENTS_BY_VERSION.values():
                events[discriminator].category = category


_file_events_under_their_categories()


def EventMessage(events):
    """``Timestamp ++ u8 (discriminator) ++ event`` for one protocol version's event table."""
    return Struct(
        "timestamp" / Timestamp,
        "discriminator" / u8,
        "event" / Switch(this.discriminator, events),
    )


EventMessageV0 = EventMessage(EVENTS)
EventMessageV1 = EventMessage(EVENTS_V1)

__all__ = [
    "CATEGORIES",
    "EVENTS",
    "EVENTS_BY_VERSION",
    "EVENTS_V1",
    "REFERENCES_BY_VERSION",
    "Category",
    "Event",
    "EventMessage",
    "EventMessageV0",
    "EventMessageV1",
]
