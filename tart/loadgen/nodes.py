"""A simulated JAM node: its identity and the node-information message it opens with.

Everything is derived from a seed and the node's index, so a benchmark can map the rows TART
stored (by node_id) back to the simulated node that sent them.
"""

import hashlib
from dataclasses import dataclass

from tart import __version__
from tart.protocol import PVM_RECOMPILER_FLAG, encode_node_information, frame

IMPLEMENTATION_NAME = "tart-loadgen"

# GP version strings that agree with each parameter layout: where a message fits both layouts,
# the server decides by this string.
GP_VERSIONS = {"0.7": "0.7.2", "0.8": "0.8.0"}

# JAM parameters of a full-size network, by the GP's names. The core count C is the node's own
# (it sizes the per-core array of every Status event).
_PARAMS = {
    "item_deposit": 10,
    "byte_deposit": 1,
    "base_deposit": 100,
    "min_turnaround_period": 19200,
    "epoch_length": 600,
    "max_accumulate_gas": 10_000_000,
    "max_is_authorized_gas": 50_000_000,
    "max_refine_gas": 5_000_000_000,
    "max_block_gas": 3_500_000_000,
    "recent_history_size": 8,
    "max_work_items": 16,
    "max_dependencies": 8,
    "max_tickets_per_block": 16,
    "max_lookup_anchor_age": 14400,
    "auth_pool_size": 8,
    "slot_period": 6,
    "auth_queue_size": 80,
    "rotation_period": 10,
    "max_extrinsics": 128,
    "availability_timeout": 5,
    "max_authorizer_code_size": 64000,
    "max_bundle_size": 13_794_305,
    "max_service_code_size": 4_000_000,
    "max_imports": 3072,
    "max_report_output_size": 49152,
    "transfer_memo_size": 128,
    "max_exports": 3072,
    "ticket_submission_end": 500,
}
# Seconds per slot: the loadgen's slots follow the clock at this pace.
SLOT_PERIOD = _PARAMS["slot_period"]
# Present only in the GP 0.7 layout.
_PARAMS_GP07_ONLY = {
    "ticket_attempts": 2,
    "validator_count": 1023,
    "erasure_piece_size": 684,
    "segment_pieces": 6,
}


def _hash(label: str) -> str:
    return "0x" + hashlib.sha256(label.encode()).hexdigest()


def peer_id(seed: int, index: int) -> str:
    """The Ed25519 public key (as 0x hex) of simulated node `index` of the network `seed`."""
    return _hash(f"tart-loadgen/{seed}/{index}")


def node_id(seed: int, index: int) -> str:
    """The node_id under which TART stores node `index`: its peer id, lowercase hex, no 0x."""
    return peer_id(seed, index)[2:]


@dataclass(frozen=True)
class SimulatedNode:
    seed: int
    index: int
    protocol_version: int = 0
    params_layout: str = "0.7"
    core_count: int = 341

    @property
    def peer_id(self) -> str:
        return peer_id(self.seed, self.index)

    @property
    def node_id(self) -> str:
        return node_id(self.seed, self.index)

    def node_information(self) -> dict:
        """The node-information fields, as the codec decodes them."""
        params = dict(_PARAMS, core_count=self.core_count)
        if self.params_layout == "0.7":
            params.update(_PARAMS_GP07_ONLY)
        index = self.index
        return {
            "protocol_version": self.protocol_version,
            "params": params,
            "genesis": _hash(f"tart-loadgen/{self.seed}/genesis"),
            "peer_id": self.peer_id,
            "peer_address": {
                "address": f"10.{index >> 16 & 255}.{index >> 8 & 255}.{index & 255}",
                "port": 30333,
            },
            "flags": PVM_RECOMPILER_FLAG,
            "implementation_name": IMPLEMENTATION_NAME,
            "implementation_version": __version__,
            "gp_version": GP_VERSIONS[self.params_layout],
            "note": f"simulated node {index} of network {self.seed}",
        }

    def handshake(self) -> bytes:
        """The first frame on each of this node's connections."""
        return frame(encode_node_information(self.node_information(), self.params_layout))
