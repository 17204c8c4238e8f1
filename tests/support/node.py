"""A JAM node's telemetry connection, as tests need it: node information, then events."""

import hashlib
import itertools
import socket
from datetime import UTC, datetime

from tart.loadgen.parts import package
from tart.protocol import encode_event, encode_node_information, frame, jam_timestamp

_peers = itertools.count(1)

GP07_PARAMS = {
    "item_deposit": 10,
    "byte_deposit": 1,
    "base_deposit": 100,
    "core_count": 2,
    "min_turnaround_period": 28800,
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
    "ticket_attempts": 2,
    "auth_pool_size": 8,
    "slot_period": 6,
    "auth_queue_size": 80,
    "rotation_period": 10,
    "max_extrinsics": 128,
    "availability_timeout": 5,
    "validator_count": 1023,
    "max_authorizer_code_size": 64000,
    "max_bundle_size": 13794305,
    "max_service_code_size": 4000000,
    "erasure_piece_size": 684,
    "max_imports": 3072,
    "segment_pieces": 6,
    "max_report_output_size": 49152,
    "transfer_memo_size": 128,
    "max_exports": 3072,
    "ticket_submission_end": 500,
}
GP08_ONLY_07 = ("ticket_attempts", "validator_count", "erasure_piece_size", "segment_pieces")


def peer_id(label):
    """A deterministic 32-byte peer id (0x hex) for a label."""
    return "0x" + hashlib.sha256(str(label).encode()).hexdigest()


def node_information(
    peer,
    protocol_version=0,
    params_layout="0.7",
    core_count=2,
    name="polkajam",
    version="0.1.0",
    note="",
):
    params = dict(GP07_PARAMS, core_count=core_count)
    if params_layout == "0.8":
        params = {k: v for k, v in params.items() if k not in GP08_ONLY_07}
    return {
        "protocol_version": protocol_version,
        "params": params,
        "genesis": "0x" + "11" * 32,
        "peer_id": peer,
        "peer_address": {"address": "127.0.0.1", "port": 30333},
        "flags": 1,
        "implementation_name": name,
        "implementation_version": version,
        "gp_version": "0.7.1" if params_layout == "0.7" else "0.8.0",
        "note": note,
    }


class TelemetryNode:
    """Connects and sends its node information at once; then `send` events."""

    def __init__(
        self,
        host,
        port,
        peer=None,
        protocol_version=0,
        params_layout="0.7",
        core_count=2,
        name="polkajam",
        handshake=True,
        **info,
    ):
        self.peer_id = peer or peer_id(f"node-{next(_peers)}")
        self.node_id = self.peer_id[2:]
        self.protocol_version = protocol_version
        self.core_count = core_count
        self.sock = socket.create_connection((host, port))
        self.info = node_information(
            self.peer_id, protocol_version, params_layout, core_count, name, **info
        )
        if handshake:
            self.send_raw(encode_node_information(self.info, params_layout))

    def send(self, data, timestamp=None):
        """Send one event, e.g. {"BestBlockChanged": {"slot": 1, "hash": "0x…"}}."""
        self.send_raw(self.encode(data, timestamp))

    def encode(self, data, timestamp=None):
        if timestamp is None:
            timestamp = jam_timestamp_now()
        return encode_event(data, timestamp, self.protocol_version, self.core_count)

    def send_raw(self, message):
        """Send one message's bytes, framed with its size."""
        self.sock.sendall(frame(message))

    def send_bytes(self, data):
        """Send bytes as they are (no framing)."""
        self.sock.sendall(data)

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def jam_timestamp_now():
    return jam_timestamp(datetime.now(UTC))


def best_block(slot):
    return {"BestBlockChanged": {"slot": slot, "hash": "0x" + f"{slot:064x}"}}


def work_package_received(submission, package_hash):
    """A WorkPackageReceived event of `package_hash`, for submission/share `submission`."""
    return {
        "WorkPackageReceived": {
            "submission_or_share_id": submission,
            "core": 1,
            "outline": package(package_hash, 3),
        }
    }


def block_outline(header_hash, size=100, **counts):
    """A Block outline of `header_hash`: nothing in the block but the `counts` given (e.g.
    num_assurances=2)."""
    return {
        "size": size,
        "hash": header_hash,
        **dict.fromkeys(
            ("num_tickets", "num_preimages", "preimages_size", "num_guarantees",
             "num_assurances", "num_dispute_verdicts"),
            0,
        ),
        **counts,
    }  # fmt: skip
