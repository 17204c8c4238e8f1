"""Write mistakes.bin: a capture of one node's telemetry with the mistakes JIP-3 encoders make.

The README's "Is my encoder right?" shows what `tart check docs/examples/mistakes.bin` says
about it. Regenerate with `.venv/bin/python docs/examples/mistakes.py`; a test checks that the
committed capture and the README's output are current.
"""

import struct
from pathlib import Path

from tart.loadgen.nodes import SimulatedNode, peer_id
from tart.protocol import encode_event, encode_natural, encode_node_information, frame

CORES = 2  # a "tiny" test network
TIMESTAMP = 13_132_800_000_000  # 2025-06-01 12:00:00 UTC, µs since the JAM Common Era
BLOCK = "0x" + "5e" * 32
PEER = peer_id(0, 7)


def node_information():
    fields = SimulatedNode(seed=0, index=1, core_count=CORES).node_information()
    fields.update(implementation_name="mynode", implementation_version="0.3.1", note="")
    return encode_node_information(fields, "0.7")


def event(data, cores=CORES, timestamp=TIMESTAMP):
    return encode_event(data, timestamp, 0, cores)


def status(cores):
    return {
        "Status": {
            "num_peers": 5,
            "num_val_peers": 5,
            "num_sync_peers": 5,
            "num_guarantees": [0] * cores,
            "num_shards": 12,
            "shards_size": 12 * 684,
            "num_preimages": 0,
            "preimages_size": 0,
        }
    }


def messages():
    best = {"BestBlockChanged": {"slot": 4242, "hash": BLOCK}}
    announced = event(
        {"BlockAnnounced": {"peer_id": PEER, "announcer": "Remote", "slot": 4243, "hash": BLOCK}}
    )
    misbehaved = event({"PeerMisbehaved": {"peer_id": PEER, "reason": "bad signature ".ljust(128)}})
    yield node_information()
    yield event(status(CORES))  # ID 0
    yield event(best)  # ID 1
    # The core count of the full network, not the node's own (C = 2).
    yield event(status(341), cores=341)  # ID 2
    # Timestamp as a variable-length natural instead of a u64.
    yield encode_natural(TIMESTAMP) + event(best)[8:]  # ID 3
    yield event({"ConnectingIn": {"from": {"address": "10.0.0.5", "port": 30333}}})  # ID 4
    yield event(
        {"ConnectingOut": {"peer_id": PEER, "address": {"address": "10.0.0.7", "port": 30333}}}
    )  # ID 5
    # Names the "connecting in" event; a "connected out" event belongs to a "connecting out".
    yield event({"ConnectedOut": {"connecting_id": 4}})  # ID 6
    # An added field: the block number after the header hash.
    yield announced + struct.pack("<I", 4243)  # ID 7
    # A 128-byte reason whose length is LEB128 (80 01) instead of the GP natural (80 80).
    yield misbehaved.replace(bytes.fromhex("80 80"), bytes.fromhex("80 01"), 1)  # ID 8
    # An event JIP-3 does not define.
    yield struct.pack("<QB", TIMESTAMP, 48) + bytes(12)  # ID 9


def main():
    path = Path(__file__).with_name("mistakes.bin")
    path.write_bytes(b"".join(frame(message) for message in messages()))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
