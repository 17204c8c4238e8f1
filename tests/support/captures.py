"""Captures as `tart check` reads them: a node's frames, made with the codec, broken by hand."""

import struct

from tart.protocol import encode_event, encode_natural, encode_node_information, frame
from tests.support.node import node_information, peer_id

# 2025-06-01 12:00:00 UTC in µs since the JAM Common Era: a plausible node clock.
TIMESTAMP = 13_132_800_000_000
PEER = peer_id("tart check")


class Capture:
    """Node information, then events; ``add`` returns each message's frame index."""

    def __init__(self, protocol_version=0, params_layout="0.7", core_count=2, peer=PEER, **info):
        self.protocol_version = protocol_version
        self.core_count = core_count
        self.info = node_information(
            peer, protocol_version, params_layout, core_count, name="tartnode", **info
        )
        self.messages = [encode_node_information(self.info, params_layout)]

    def event(self, data, timestamp=TIMESTAMP):
        """An event made with the codec, e.g. {"BestBlockChanged": {...}}."""
        return self.add(encode_event(data, timestamp, self.protocol_version, self.core_count))

    def add(self, message):
        """A message's bytes as they are (framed with their size)."""
        self.messages.append(message)
        return len(self.messages) - 1

    def bytes(self):
        return b"".join(frame(message) for message in self.messages)

    def write(self, path):
        path.write_bytes(self.bytes())
        return path


def header(discriminator, timestamp=TIMESTAMP):
    return struct.pack("<QB", timestamp, discriminator)


def best_block(slot):
    return {"BestBlockChanged": {"slot": slot, "hash": "0x" + f"{slot:064x}"}}


# Valid events the captures surround their mistakes with.
CONNECTING_IN = {"ConnectingIn": {"from": {"address": "10.0.0.1", "port": 30333}}}
CONNECTING_OUT = {
    "ConnectingOut": {"peer_id": peer_id("out"), "address": {"address": "10.0.0.2", "port": 1}}
}
SYNCED = {"SyncStatusChanged": {"synced": True}}


def status(cores):
    """A Status event for a network of `cores` cores."""
    return {
        "Status": {
            "num_peers": 3,
            "num_val_peers": 2,
            "num_sync_peers": 3,
            "num_guarantees": [1] * cores,
            "num_shards": 4,
            "shards_size": 4 * 684,
            "num_preimages": 0,
            "preimages_size": 0,
        }
    }


def varint_timestamp(message):
    """The message with its Timestamp as a GP natural instead of a u64: the classic mistake."""
    (timestamp,) = struct.unpack_from("<Q", message)
    return encode_natural(timestamp) + message[8:]
