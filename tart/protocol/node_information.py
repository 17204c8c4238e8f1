"""JIP-3 "Node information message", the first message on every connection.

JAM Parameters are "exactly as returned by the fetch host call defined in the GP": fixed widths,
no length prefix. Two layouts are in use (see NOTES.md beside the spec); nothing in the message
says which, so the decoder tries both (see ``tart.protocol.codec``).
"""

from construct import Renamed

from tart.protocol.composites import Record, Type
from tart.protocol.primitives import SmallInt, String, u16, u32, u64
from tart.protocol.types import HeaderHash, PeerAddress, PeerId

# ---------------------------------------------------------------------------------------------
# JAM Parameters, GP 0.7.x: 134 bytes
# ---------------------------------------------------------------------------------------------
JamParametersGP07 = Type(
    "JAM Parameters (GP 0.7, 134 bytes)",
    Record(
        "item_deposit" / u64 * "B_I",
        "byte_deposit" / u64 * "B_L",
        "base_deposit" / u64 * "B_S",
        "core_count" / u16 * "C",
        "min_turnaround_period" / u32 * "D",
        "epoch_length" / u32 * "E",
        "max_accumulate_gas" / u64 * "G_A",
        "max_is_authorized_gas" / u64 * "G_I",
        "max_refine_gas" / u64 * "G_R",
        "max_block_gas" / u64 * "G_T",
        "recent_history_size" / u16 * "H",
        "max_work_items" / u16 * "I",
        "max_dependencies" / u16 * "J",
        "max_tickets_per_block" / u16 * "K",
        "max_lookup_anchor_age" / u32 * "L",
        "ticket_attempts" / u16 * "N",
        "auth_pool_size" / u16 * "O",
        "slot_period" / u16 * "P",
        "auth_queue_size" / u16 * "Q",
        "rotation_period" / u16 * "R",
        "max_extrinsics" / u16 * "T",
        "availability_timeout" / u16 * "U",
        "validator_count" / u16 * "V",
        "max_authorizer_code_size" / u32 * "W_A",
        "max_bundle_size" / u32 * "W_B",
        "max_service_code_size" / u32 * "W_C",
        "erasure_piece_size" / u32 * "W_E",
        "max_imports" / u32 * "W_M",
        "segment_pieces" / u32 * "W_P",
        "max_report_output_size" / u32 * "W_R",
        "transfer_memo_size" / u32 * "W_T",
        "max_exports" / u32 * "W_X",
        "ticket_submission_end" / u32 * "Y",
    ),
)

# ---------------------------------------------------------------------------------------------
# JAM Parameters, GP 0.8.x: 122 bytes (the 0.7 order without N, V, W_E and W_P)
# ---------------------------------------------------------------------------------------------
JamParametersGP08 = Type(
    "JAM Parameters (GP 0.8, 122 bytes)",
    Record(
        *(
            field
            for field in JamParametersGP07.subcon.subcons
            if field.docs not in ("N", "V", "W_E", "W_P")
        )
    ),
)

# Node flags: bit 0 set means the node runs the PVM as a recompiler (clear: an interpreter). "All
# other bits should be set to 0."
PVM_RECOMPILER_FLAG = 0b1
DEFINED_FLAGS = PVM_RECOMPILER_FLAG

ProtocolVersion = Type(
    "Telemetry protocol version", SmallInt("telemetry protocol version", 1), "single byte: 0 or 1"
)


def NodeInformation(JamParameters: Renamed) -> Record:
    """The node information message, with the given JAM Parameters layout."""
    return Record(
        "protocol_version" / ProtocolVersion,
        "params" / JamParameters,
        "genesis" / HeaderHash * "Genesis header hash",
        "peer_id" / PeerId,
        "peer_address" / PeerAddress,
        "flags" / u32 * "Node flags; bit 0: 1 = PVM recompiler, 0 = interpreter",
        "implementation_name" / String(32) * 'Name of node implementation, eg "PolkaJam"',
        "implementation_version" / String(32) * 'Version of node implementation, eg "1.0"',
        "gp_version" / String(16) * 'Gray Paper version implemented by the node, eg "0.7.1"',
        "note" / String(512) * "Freeform note with additional information about the node",
    )


NodeInformationGP07 = NodeInformation(JamParametersGP07)
NodeInformationGP08 = NodeInformation(JamParametersGP08)
