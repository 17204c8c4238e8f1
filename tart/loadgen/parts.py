"""What mixes are written with: the cycle of events a simulated node repeats (:class:`Script`),
the markers that frames.py fills in as they are sent (:class:`Ref`, :class:`Slot`,
:class:`CycleSlot`, :class:`Hash`), and outlines and costs the guaranteeing events share."""

import hashlib

from tart.protocol import EventNumbering


class Ref:
    """The JIP-3 ID of an event earlier in the same cycle (in its first repetition)."""

    __slots__ = ("event_id",)

    def __init__(self, event_id):
        self.event_id = event_id

    def __repr__(self):
        return f"Ref({self.event_id})"


class Slot:
    """A slot, `offset` slots after the current slot (when the event is sent)."""

    __slots__ = ("offset",)

    def __init__(self, offset=0):
        self.offset = offset

    def __repr__(self):
        return f"Slot({self.offset})"


class CycleSlot:
    """Slot `offset` of a cycle that covers `Script.slots_per_cycle` slots from the slot the
    load began in: a mix whose repetitions are successive slots, not the clock's."""

    __slots__ = ("offset",)

    def __init__(self, offset=0):
        self.offset = offset

    def __repr__(self):
        return f"CycleSlot({self.offset})"


class Hash:
    """A 32-byte hash that differs in every repetition of the cycle: its last 8 bytes, a
    big-endian count, go up by one each time (a new block or work-package each slot)."""

    __slots__ = ("prefix", "start")

    def __init__(self, *label):
        digest = hashlib.sha256("/".join(map(str, label)).encode()).digest()
        self.prefix = digest[:24].hex()
        self.start = int.from_bytes(digest[24:28], "big")  # leaves 2^64 - 2^32 counts to go

    def at(self, count):
        return f"0x{self.prefix}{count:016x}"

    def __repr__(self):
        return f"Hash({self.prefix})"


class Script:
    """One cycle of a mix: its events in sending order, numbered as a node numbers them.

    A mix may time events on the node's clock (`at`): that many µs after the start of a
    CycleSlot, so delays between nodes are known exactly. Other events carry the time they are
    sent.
    """

    def __init__(self, protocol_version, core_count, peers, slots_per_cycle=1, index=0, nodes=1):
        self.protocol_version = protocol_version
        self.core_count = core_count
        self.peers = peers  # peer ids of other simulated nodes, for the events that name peers
        self.slots_per_cycle = slots_per_cycle
        self.index = index  # this node's, among the `nodes` simulated
        self.nodes = nodes
        self.events = []
        self.event_ids = []
        self.times = []  # per event: None, or (CycleSlot, µs after that slot's start)
        self._numbering = EventNumbering()

    def emit(self, name, fields, at=None):
        """Append event `name`; return a Ref to it for later events to point at."""
        event_id = self._numbering.assign(fields["num_dropped"] if name == "Dropped" else None)
        self.events.append({name: fields})
        self.event_ids.append(event_id)
        self.times.append(at)
        return Ref(event_id)

    @property
    def id_advance(self):
        """How far one repetition of the cycle moves the JIP-3 event ID."""
        return self._numbering.next_id


def hash_of(*label):
    return "0x" + hashlib.sha256("/".join(map(str, label)).encode()).hexdigest()


def exec_cost(gas, ns):
    return {"gas_used": gas, "elapsed_ns": ns}


def package(package_hash, lookup_anchor_slot):
    return {
        "size": 28_431,
        "hash": package_hash,
        "anchor": hash_of("block", -1),
        "lookup_anchor_slot": lookup_anchor_slot,
        "prerequisites": [],
        "items": [
            {
                "service": 42,
                "payload_size": 1024,
                "refine_gas_limit": 1_000_000_000,
                "accumulate_gas_limit": 10_000_000,
                "extrinsics_size": 4096,
                "imports": [{"root": hash_of("segments-root"), "export_index": 3}],
                "num_exports": 2,
            }
        ],
    }


def report(report_hash):
    return {
        "hash": report_hash,
        "bundle_size": 33_120,
        "erasure_root": hash_of("erasure-root"),
        "segments_root": hash_of("segments-root", 1),
    }


def guarantee(report_hash, slot):
    return {"work_report_hash": report_hash, "slot": slot, "guarantors": [3, 17, 250]}


AUTHORIZED_COST = {
    "total": exec_cost(1_200_000, 850_000),
    "load_ns": 120_000,
    "host_calls": exec_cost(40_000, 30_000),
}
REFINE_COSTS = [
    {
        "total": exec_cost(480_000_000, 95_000_000),
        "load_ns": 2_100_000,
        "historical_lookup_calls": exec_cost(1_000, 2_000),
        "machine_expunge_calls": exec_cost(0, 0),
        "peek_poke_pages_calls": exec_cost(0, 0),
        "invoke_calls": exec_cost(0, 0),
        "other_host_calls": exec_cost(90_000, 61_000),
    }
]
