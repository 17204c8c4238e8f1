"""How many JIP-3 events one core decodes per second, for the mix a busy validator sends.

    .venv/bin/python bench/decode.py [--seconds 10]

Frames are built once with encode_event; the timed loop calls only EventDecoder.decode, as the
ingest greenlet does for every frame. Prints the mix, µs per event of each kind, the figure and
whether it meets the target; writes bench/results/decode.json.
"""

import argparse
import json
import platform
import random
import time
from datetime import UTC, datetime
from pathlib import Path

from tart.loadgen.nodes import SimulatedNode
from tart.protocol import EventDecoder, encode_event

TARGET = 150_000  # events/s on one core
CORE_COUNT = SimulatedNode.core_count  # as the loadgen's nodes report
PROTOCOL_VERSION = 0
RESULTS = Path(__file__).resolve().parent / "results" / "decode.json"

# Events of each kind in one 6-second slot of a validator on a large network: Status every 2 s,
# one best, finalized and executed block, many block announcements and connection events, and
# the work-package pipeline of the packages it guarantees.
SLOT_MIX = {
    "Status": 3,
    "BestBlockChanged": 1,
    "FinalizedBlockChanged": 1,
    "BlockExecuted": 1,
    "BlockAnnounced": 24,
    "ConnectingOut": 4,
    "ConnectedOut": 4,
    "Disconnected": 4,
    "WorkPackageSubmission": 6,
    "WorkPackageReceived": 6,
    "Authorized": 6,
    "Refined": 6,
    "WorkReportBuilt": 6,
    "GuaranteeBuilt": 6,
}


def _hash(rng):
    return "0x" + rng.randbytes(32).hex()


def _exec_cost(rng):
    return {"gas_used": rng.randrange(10**9), "elapsed_ns": rng.randrange(10**8)}


def _refine_cost(rng):
    return {
        "total": _exec_cost(rng),
        "load_ns": rng.randrange(10**7),
        **{
            calls: _exec_cost(rng)
            for calls in (
                "historical_lookup_calls",
                "machine_expunge_calls",
                "peek_poke_pages_calls",
                "invoke_calls",
                "other_host_calls",
            )
        },
    }


def _accumulate_cost(rng):
    return {
        "num_calls": 1,
        "num_transfers": rng.randrange(4),
        "num_items": rng.randrange(1, 6),
        "total": _exec_cost(rng),
        "load_ns": rng.randrange(10**7),
        **{
            calls: _exec_cost(rng)
            for calls in (
                "read_write_calls",
                "lookup_calls",
                "query_solicit_forget_provide_calls",
                "info_new_upgrade_eject_calls",
                "transfer_calls",
            )
        },
        "transfer_gas": rng.randrange(10**6),
        "other_host_calls": _exec_cost(rng),
    }


def _work_item(rng):
    return {
        "service": rng.randrange(2**32),
        "payload_size": rng.randrange(4096),
        "refine_gas_limit": 5_000_000_000,
        "accumulate_gas_limit": 10_000_000,
        "extrinsics_size": rng.randrange(65536),
        "imports": [
            {"root": _hash(rng), "export_index": rng.randrange(3072)}
            for _ in range(rng.randrange(2, 4))
        ],
        "num_exports": rng.randrange(16),
    }


def _fields(name, rng, slot):
    """Plausible fields of one event of kind ``name``."""
    event_id = rng.randrange(10**6)
    peer = _hash(rng)
    return {
        "Status": lambda: {
            "num_peers": 1023,
            "num_val_peers": 1000,
            "num_sync_peers": 48,
            "num_guarantees": [rng.choice((0, 0, 0, 1, 2)) for _ in range(CORE_COUNT)],
            "num_shards": rng.randrange(10**5),
            "shards_size": rng.randrange(10**10),
            "num_preimages": rng.randrange(20),
            "preimages_size": rng.randrange(10**6),
        },
        "BestBlockChanged": lambda: {"slot": slot, "hash": _hash(rng)},
        "FinalizedBlockChanged": lambda: {"slot": slot - 2, "hash": _hash(rng)},
        "BlockExecuted": lambda: {
            "authoring_or_importing_id": event_id,
            "accumulated": [
                {"service": rng.randrange(2**32), "cost": _accumulate_cost(rng)} for _ in range(4)
            ],
        },
        "BlockAnnounced": lambda: {
            "peer_id": peer,
            "announcer": "Remote",
            "slot": slot,
            "hash": _hash(rng),
        },
        "ConnectingOut": lambda: {
            "peer_id": peer,
            "address": {
                "address": f"10.{rng.randrange(256)}.{rng.randrange(256)}.7",
                "port": 40000,
            },
        },
        "ConnectedOut": lambda: {"connecting_id": event_id},
        "Disconnected": lambda: {
            "peer_id": peer,
            "terminator": rng.choice((None, "Remote")),
            "reason": "connection timed out",
        },
        "WorkPackageSubmission": lambda: {"builder": peer, "ce_146": False},
        "WorkPackageReceived": lambda: {
            "submission_or_share_id": event_id,
            "core": rng.randrange(CORE_COUNT),
            "outline": {
                "size": rng.randrange(10**6),
                "hash": _hash(rng),
                "anchor": _hash(rng),
                "lookup_anchor_slot": slot - 1,
                "prerequisites": [],
                "items": [_work_item(rng) for _ in range(2)],
            },
        },
        "Authorized": lambda: {
            "submission_or_share_id": event_id,
            "cost": {
                "total": _exec_cost(rng),
                "load_ns": rng.randrange(10**7),
                "host_calls": _exec_cost(rng),
            },
        },
        "Refined": lambda: {
            "submission_or_share_id": event_id,
            "costs": [_refine_cost(rng) for _ in range(2)],
        },
        "WorkReportBuilt": lambda: {
            "submission_or_share_id": event_id,
            "outline": {
                "hash": _hash(rng),
                "bundle_size": rng.randrange(10**6),
                "erasure_root": _hash(rng),
                "segments_root": _hash(rng),
            },
        },
        "GuaranteeBuilt": lambda: {
            "submission_id": event_id,
            "outline": {
                "work_report_hash": _hash(rng),
                "slot": slot,
                "guarantors": sorted(rng.sample(range(1023), 3)),
            },
        },
    }[name]()


def build_mix(slots=4, seed=0):
    """``{event name: [(data, message), ...]}`` for ``slots`` slots of the mix."""
    rng = random.Random(seed)
    timestamp = 5_000_000_000_000
    mix = {name: [] for name in SLOT_MIX}
    for slot in range(1_000_000, 1_000_000 + slots):
        for name, count in SLOT_MIX.items():
            for _ in range(count):
                data = {name: _fields(name, rng, slot)}
                timestamp += rng.randrange(1, 100_000)
                mix[name].append(
                    (data, encode_event(data, timestamp, PROTOCOL_VERSION, CORE_COUNT))
                )
    return mix


def check(mix):
    """Every frame decodes to what was encoded; a benchmark of wrong answers means nothing."""
    decoder = EventDecoder(PROTOCOL_VERSION, CORE_COUNT)
    for name, frames in mix.items():
        for data, message in frames:
            decoded = decoder.decode(message)
            if decoded.data != data:
                raise AssertionError(f"{name} decodes to {decoded.data}, not {data}")


def measure(mix, seconds):
    """Decode every frame of the mix, round after round, for about ``seconds``.

    Each kind's frames are timed as one batch per round, which gives µs per event of each kind;
    the mix figure is all events over the sum of those times.
    """
    decode = EventDecoder(PROTOCOL_VERSION, CORE_COUNT).decode
    batches = {name: [message for _, message in frames] for name, frames in mix.items()}
    spent = dict.fromkeys(batches, 0.0)
    decoded = dict.fromkeys(batches, 0)
    clock = time.perf_counter
    deadline = clock() + seconds
    while clock() < deadline:
        for name, batch in batches.items():
            start = clock()
            for message in batch:
                decode(message)
            spent[name] += clock() - start
            decoded[name] += len(batch)
    total = sum(decoded.values())
    kinds = [
        {
            "event": name,
            "share": decoded[name] / total,
            "bytes": round(sum(len(m) for m in batches[name]) / len(batches[name]), 1),
            "us_per_event": spent[name] / decoded[name] * 1e6,
        }
        for name in batches
    ]
    return {
        "events_per_second": total / sum(spent.values()),
        "events": total,
        "seconds": sum(spent.values()),
        "mix": kinds,
    }


def report(result):
    lines = [
        f"JIP-3 decode, protocol version {PROTOCOL_VERSION}, C = {CORE_COUNT}, one core "
        f"(Python {platform.python_version()})",
        "",
        f"{'event':<24} {'share':>7} {'bytes':>8} {'µs/event':>9}",
    ]
    for kind in result["mix"]:
        lines.append(
            f"{kind['event']:<24} {kind['share']:>7.1%} {kind['bytes']:>8.0f} "
            f"{kind['us_per_event']:>9.2f}"
        )
    figure = result["events_per_second"]
    lines += [
        "",
        f"{result['events']:,} events in {result['seconds']:.2f} s of decoding",
        f"mix: {figure:,.0f} events/s per core; target ≥ {TARGET:,}: "
        f"{'met' if figure >= TARGET else 'NOT met'}",
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="how long to decode (default 10)"
    )
    args = parser.parse_args()
    mix = build_mix()
    check(mix)
    result = measure(mix, args.seconds)
    print(report(result))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                **result,
                "target": TARGET,
                "met": result["events_per_second"] >= TARGET,
                "core_count": CORE_COUNT,
                "protocol_version": PROTOCOL_VERSION,
                "python": platform.python_version(),
                "machine": platform.machine(),
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
