"""JIP-3 "Types": the named types and outlines that node information and events are made of.

Each definition is the spec's, in the spec's order; a field's meaning is its name, or the note
after it (which the generated docs/PROTOCOL.md shows too).
"""

from tart.protocol.composites import Record, Type, Vec
from tart.protocol.primitives import Bool, ByteEnum, HexBytes, IPv6Address, String, u16, u32, u64

bool_ = Type("bool", Bool(), "0 (False) OR 1 (True)")
Reason = Type("Reason", String(128), "Freeform reason, may be empty if unknown")

Timestamp = Type("Timestamp", u64, "Microseconds since the beginning of the JAM Common Era")
EventId = Type("Event ID", u64)

PeerId = Type("Peer ID", HexBytes(32), "Ed25519 public key")
PeerAddress = Type(
    "Peer Address",
    Record(
        "address" / IPv6Address() * "IPv6 address ([u8; 16])",
        "port" / u16,
    ),
)
ConnectionSide = Type("Connection Side", ByteEnum("Connection Side", Local=0, Remote=1))

Slot = Type("Slot", u32)
EpochIndex = Type("Epoch Index", u32, "Slot / E")
ValidatorIndex = Type("Validator Index", u16)
CoreIndex = Type("Core Index", u16)
ServiceId = Type("Service ID", u32)
ShardIndex = Type("Shard Index", u16)

Hash = Type("Hash", HexBytes(32))
HeaderHash = Type("Header Hash", Hash)
WorkPackageHash = Type("Work-Package Hash", Hash)
WorkReportHash = Type("Work-Report Hash", Hash)
ErasureRoot = Type("Erasure-Root", Hash)
SegmentsRoot = Type("Segments-Root", Hash)
Ed25519Signature = Type("Ed25519 Signature", HexBytes(64))
VrfOutput = Type("VRF output", HexBytes(32), "[u8; 32]")

BlockOutline = Type(
    "Block Outline",
    Record(
        "size" / u32 * "Size in bytes",
        "hash" / HeaderHash,
        "num_tickets" / u32 * "Number of tickets",
        "num_preimages" / u32 * "Number of preimages",
        "preimages_size" / u32 * "Total size of preimages in bytes",
        "num_guarantees" / u32 * "Number of guarantees",
        "num_assurances" / u32 * "Number of assurances",
        "num_dispute_verdicts" / u32 * "Number of dispute verdicts",
    ),
)

Gas = Type("Gas", u64)
ExecCost = Type(
    "Exec Cost",
    Record(
        "gas_used" / Gas,
        "elapsed_ns" / u64 * "Elapsed wall-clock time in nanoseconds",
    ),
)
IsAuthorizedCost = Type(
    "Is-Authorized Cost",
    Record(
        "total" / ExecCost,
        "load_ns" / u64 * "Time taken to load and compile the code, in nanoseconds",
        "host_calls" / ExecCost,
    ),
)
RefineCost = Type(
    "Refine Cost",
    Record(
        "total" / ExecCost,
        "load_ns" / u64 * "Time taken to load and compile the code, in nanoseconds",
        "historical_lookup_calls" / ExecCost,
        "machine_expunge_calls" / ExecCost * "machine/expunge calls",
        "peek_poke_pages_calls" / ExecCost * "peek/poke/pages calls",
        "invoke_calls" / ExecCost,
        "other_host_calls" / ExecCost,
    ),
)
AccumulateCost = Type(
    "Accumulate Cost",
    Record(
        "num_calls" / u32 * "Number of accumulate calls",
        "num_transfers" / u32 * "Number of transfers processed",
        "num_items" / u32 * "Number of items accumulated",
        "total" / ExecCost,
        "load_ns" / u64 * "Time taken to load and compile the code, in nanoseconds",
        "read_write_calls" / ExecCost * "read/write calls",
        "lookup_calls" / ExecCost,
        "query_solicit_forget_provide_calls" / ExecCost * "query/solicit/forget/provide calls",
        "info_new_upgrade_eject_calls" / ExecCost * "info/new/upgrade/eject calls",
        "transfer_calls" / ExecCost,
        "transfer_gas" / Gas * "Total gas charged for transfer processing by destination services",
        "other_host_calls" / ExecCost,
    ),
)

RootIdentifier = Type("Root Identifier", Hash, "Segments-Root OR Work-Package Hash")
ImportSpec = Type(
    "Import Spec",
    Record(
        "root" / RootIdentifier,
        "export_index" / u16 * "Export index, plus 2^15 if Root Identifier is a Work-Package Hash",
    ),
)
ImportSegmentId = Type(
    "Import Segment ID",
    u16,
    "Index in overall list of work-package imports, or for a proof page, "
    "2^15 plus index of a proven page",
)
WorkItemOutline = Type(
    "Work-Item Outline",
    Record(
        "service" / ServiceId,
        "payload_size" / u32 * "Payload size",
        "refine_gas_limit" / Gas,
        "accumulate_gas_limit" / Gas,
        "extrinsics_size" / u32 * "Sum of extrinsic lengths",
        "imports" / Vec(ImportSpec),
        "num_exports" / u16 * "Number of exported segments",
    ),
)
WorkPackageOutline = Type(
    "Work-Package Outline",
    Record(
        "size" / u32 * "Work-package size in bytes, excluding extrinsic data",
        "hash" / WorkPackageHash,
        "anchor" / HeaderHash,
        "lookup_anchor_slot" / Slot,
        "prerequisites" / Vec(WorkPackageHash),
        "items" / Vec(WorkItemOutline),
    ),
)

WorkReportOutline = Type(
    "Work-Report Outline",
    Record(
        "hash" / WorkReportHash,
        "bundle_size" / u32 * "Bundle size in bytes",
        "erasure_root" / ErasureRoot,
        "segments_root" / SegmentsRoot,
    ),
)

GuaranteeOutline = Type(
    "Guarantee Outline",
    Record(
        "work_report_hash" / WorkReportHash,
        "slot" / Slot,
        "guarantors" / Vec(ValidatorIndex),
    ),
)
GuaranteeDiscardReason = Type(
    "Guarantee Discard Reason",
    ByteEnum(
        "Guarantee Discard Reason",
        WorkPackageReportedOnChain=0,
        ReplacedByBetterGuarantee=1,
        CannotBeReportedOnChain=2,
        TooManyGuarantees=3,
        Other=4,
    ),
)

AnnouncedPreimageForgetReason = Type(
    "Announced Preimage Forget Reason",
    ByteEnum(
        "Announced Preimage Forget Reason",
        ProvidedOnChain=0,
        NotRequestedOnChain=1,
        FailedToAcquirePreimage=2,
        TooManyAnnouncedPreimages=3,
        BadLength=4,
        Other=5,
    ),
)
PreimageDiscardReason = Type(
    "Preimage Discard Reason",
    ByteEnum(
        "Preimage Discard Reason",
        ProvidedOnChain=0,
        NotRequestedOnChain=1,
        TooManyPreimages=2,
        Other=3,
    ),
)

# Events 63 and 67: "0 (Ascending exclusive) OR 1 (Descending inclusive) (Direction, single byte)"
BlockRequestDirection = Type(
    "Direction", ByteEnum("Direction", AscendingExclusive=0, DescendingInclusive=1)
)
