"""The bytes the load generator sends decode, with TART's codec, to exactly what it meant."""

import random
import re
import struct

import pytest

from tart.loadgen.frames import Cycle, slot_at
from tart.loadgen.mixes import MIXES, script_of
from tart.loadgen.nodes import SimulatedNode, node_id, peer_id
from tart.protocol import (
    EVENTS_BY_VERSION,
    DecodeError,
    EventDecoder,
    EventNumbering,
    decode_node_information,
)

PEERS = [peer_id(7, index) for index in range(4)]
FIRST_SLOT = 1_500_000
SLOT = 6_000_000  # µs
START = FIRST_SLOT * SLOT + 123_456  # a JIP-3 Timestamp in slot FIRST_SLOT
CASES = [(mix, version, layout) for mix in MIXES for version in (0, 1) for layout in ("0.7", "0.8")]


def split_frames(data):
    frames, offset = [], 0
    while offset < len(data):
        (size,) = struct.unpack_from("<I", data, offset)
        frames.append(data[offset + 4 : offset + 4 + size])
        offset += 4 + size
    assert offset == len(data), "the bytes end mid-frame"
    return frames


def sent_events(cycle, takes, timestamp=START, step=0):
    """Take frames from a fresh stream in pieces of the given sizes, the first at `timestamp`
    and each next one `step` µs later; decode them all and number them as the server does:
    [(event_id, decoded event)]."""
    stream = cycle.stream()
    decoder = EventDecoder(cycle.script.protocol_version, cycle.script.core_count)
    numbering = EventNumbering()
    events = []
    for index, count in enumerate(takes):
        data, garbage = stream.take(count, timestamp + index * step)
        assert garbage == 0
        for message in split_frames(data):
            event = decoder.decode(message)
            events.append((numbering.assign(event.dropped), event))
    return events


def make_cycle(mix, version, cores=341, index=0, nodes=1):
    return Cycle(script_of(mix, version, cores, PEERS, index, nodes), START)


@pytest.mark.parametrize("mix,version,layout", CASES)
def test_frames_decode_to_what_the_mix_meant(mix, version, layout):
    node = SimulatedNode(seed=7, index=3, protocol_version=version, params_layout=layout)
    info = decode_node_information(node.handshake()[4:])
    assert info.fields == node.node_information()
    assert (info.params_layout, info.protocol_version, info.core_count) == (layout, version, 341)
    assert info.peer_id == "0x" + node_id(7, 3)

    assert_cycle_decodes(make_cycle(mix, version))


@pytest.mark.parametrize("index", range(5))
def test_every_node_of_the_lifecycles_mix_sends_what_it_meant(index):
    assert_cycle_decodes(make_cycle("lifecycles", 0, index=index, nodes=5))


def assert_cycle_decodes(cycle):
    repetitions = 3
    # Pieces that do not line up with the cycle, so takes straddle repetitions.
    takes = [7] * (repetitions * cycle.frames // 7) + [repetitions * cycle.frames % 7]
    later = START + 3600 * 1_000_000  # an hour after the cycle was encoded
    events = sent_events(cycle, takes, timestamp=later)
    expected = [
        pair
        for repetition in range(repetitions)
        for pair in cycle.expected(repetition, slot_at(later))
    ]
    assert [(event_id, event.data) for event_id, event in events] == expected
    times = [
        cycle.timestamp(index, repetition, later)
        for repetition in range(repetitions)
        for index in range(cycle.frames)
    ]
    assert [event.timestamp for _, event in events] == times


def test_lifecycle_slots_hashes_and_times_move_on_with_each_repetition():
    cycle = make_cycle("lifecycles", 0, index=1, nodes=3)
    events = sent_events(cycle, [2 * cycle.frames], timestamp=START + 3600 * 1_000_000)
    imports = [(event.fields["slot"], event.fields["outline"]["hash"], event.timestamp)
               for _, event in events if event.name == "Importing"]  # fmt: skip
    # Node 1 imports slot 0's block (authored by node 0) 100 ms into the slot; slot 1 is its
    # own; node 1 is last after node 2, the author of slot 2, so never imports it. Slots are
    # the cycle's, from the slot the cycle was made in, whatever the clock says when sent.
    assert [(slot, time) for slot, _, time in imports] == [
        (FIRST_SLOT, FIRST_SLOT * SLOT + 100_000),
        (FIRST_SLOT + 3, (FIRST_SLOT + 3) * SLOT + 100_000),
    ]
    first, second = (header for _, header, _ in imports)
    assert first[:50] == second[:50] and int(second[50:], 16) == int(first[50:], 16) + 1


def test_ids_move_on_with_each_repetition_and_slots_with_the_clock():
    cycle = make_cycle("status", 0)
    # Three repetitions in one slot, one in the next; then a new connection an hour later.
    events = sent_events(cycle, [3 * cycle.frames, cycle.frames], step=SLOT)
    events += sent_events(cycle, [cycle.frames], timestamp=START + 3600 * 1_000_000)
    best = [
        (event_id, event.fields["slot"])
        for event_id, event in events
        if event.name == "BestBlockChanged"
    ]
    hour = 600
    assert best == [
        (1, FIRST_SLOT),
        (5, FIRST_SLOT),
        (9, FIRST_SLOT),
        (13, FIRST_SLOT + 1),
        (1, FIRST_SLOT + hour),
    ]
    finalized = [
        event.fields["slot"] for _, event in events if event.name == "FinalizedBlockChanged"
    ]
    assert finalized == [slot - 2 for _, slot in best]
    statuses = [event.fields for _, event in events if event.name == "Status"]
    assert all(len(fields["num_guarantees"]) == 341 for fields in statuses)


def test_a_slot_that_begins_mid_cycle_reaches_the_rest_of_the_cycle():
    cycle = make_cycle("status", 1)
    events = sent_events(cycle, [1, cycle.frames - 1, cycle.frames], step=SLOT)
    slots = [(event.name, event.fields["slot"]) for _, event in events if "slot" in event.fields]
    assert slots == [
        ("BestBlockChanged", FIRST_SLOT + 1),
        ("FinalizedBlockChanged", FIRST_SLOT - 1),
        ("BestBlockChanged", FIRST_SLOT + 2),
        ("FinalizedBlockChanged", FIRST_SLOT),
    ]


# The lifecycles mix's slots are those of its cycle (CycleSlot), so that its node times and
# slots agree however fast it is sent.
@pytest.mark.parametrize("mix", sorted(set(MIXES) - {"lifecycles"}))
def test_every_slot_of_every_mix_is_the_slot_of_the_clock_or_just_before(mix):
    cycle = make_cycle(mix, 1)
    when = START + 86_400 * 1_000_000  # a day later: 14,400 slots
    events = sent_events(cycle, [cycle.frames], timestamp=when)
    slots = {
        (event.name, path): value for _, event in events for path, value in _slot_fields(event.data)
    }
    assert slots
    now = FIRST_SLOT + 14_400
    assert all(now - 4 <= value <= now for value in slots.values()), slots
    if mix in ("status", "all"):
        assert slots["BestBlockChanged", "slot"] == now
        assert slots["FinalizedBlockChanged", "slot"] == now - 2


def _slot_fields(data, path=""):
    """(path, value) of every field of decoded event data whose name says it is a slot."""
    if isinstance(data, dict):
        for key, value in data.items():
            inner = f"{path}.{key}" if path else key
            if key == "slot" or key.endswith("_slot"):
                yield inner.split(".", 1)[1], value
            else:
                yield from _slot_fields(value, inner)
    elif isinstance(data, list):
        for item in data:
            yield from _slot_fields(item, path)


def test_a_new_connection_numbers_from_zero_again():
    cycle = make_cycle("pipeline", 0)
    cycle.stream().take(cycle.frames + 3, START)
    first = sent_events(cycle, [cycle.frames])
    assert cycle.expected(0, FIRST_SLOT) == [(i, e.data) for i, e in first]


PIPELINE = [
    "WorkPackageSubmission",
    "WorkPackageReceived",
    "Authorized",
    "ExtrinsicDataReceived",
    "ImportsReceived",
    "Refined",
    "WorkReportBuilt",
    "SharingWorkPackage",
    "SharingWorkPackage",
    "BundleSent",
    "BundleSent",
    "WorkReportSignatureReceived",
    "WorkReportSignatureReceived",
    "GuaranteeBuilt",
    "SendingGuarantee",
    "SendingGuarantee",
    "SendingGuarantee",
    "GuaranteeSent",
    "GuaranteeSent",
    "GuaranteeSent",
    "GuaranteesDistributed",
]
# What each Event ID field of the pipeline must point at (from JIP-3's field descriptions).
REFERENCES = {
    "submission_or_share_id": {"WorkPackageSubmission", "WorkPackageBeingShared"},
    "submission_id": {"WorkPackageSubmission"},
    "built_id": {"GuaranteeBuilt"},
    "sending_id": {"SendingGuarantee"},
}


@pytest.mark.parametrize("version", [0, 1])
def test_pipeline_ids_point_at_earlier_events_of_the_right_kind(version):
    cycle = make_cycle("pipeline", version)
    events = sent_events(cycle, [3 * cycle.frames])
    assert [event.name for _, event in events] == PIPELINE * 3
    kinds = {event_id: event.name for event_id, event in events}
    checked = 0
    for event_id, event in events:
        for field, allowed in REFERENCES.items():
            if field in event.fields:
                target = event.fields[field]
                assert target < event_id and kinds[target] in allowed, (event_id, event.data)
                # Within the same work-package: never an earlier repetition's.
                assert event_id - target < cycle.frames
                checked += 1
    assert checked == 3 * (len(PIPELINE) - 1)
    sending = {event_id for event_id, event in events if event.name == "SendingGuarantee"}
    assert {
        event.fields["sending_id"] for _, event in events if event.name == "GuaranteeSent"
    } == sending


@pytest.mark.parametrize("version", [0, 1])
def test_all_sends_every_kind_and_its_ids_name_earlier_events(version):
    table = EVENTS_BY_VERSION[version]
    names_by_title = {event.title.lower(): event.event_name for event in table.values()}
    cycle = make_cycle("all", version)
    events = sent_events(cycle, [2 * cycle.frames])
    assert sorted(event.discriminator for _, event in events[: cycle.frames]) == sorted(table)
    # Dropped(3) leads the cycle, so the next event's ID is 3 and each cycle moves IDs 117.
    assert [event_id for event_id, _ in events[:3]] == [0, 3, 4]
    assert events[cycle.frames][0] == 117
    kinds = {event_id: event.name for event_id, event in events}
    references = 0
    for event_id, event in events:
        definition = table[event.discriminator]
        for field in definition.subcons:
            doc = field.docs or ""
            if not doc.startswith("ID of the corresponding"):
                continue
            allowed = {names_by_title[title.lower()] for title in re.findall(r'"([^"]+)"', doc)}
            target = event.fields[field.name]
            assert target < event_id and kinds[target] in allowed, (event.name, field.name)
            references += 1
    assert references > 100


def test_garbage_replaces_exactly_the_frames_it_counts():
    cycle = make_cycle("all", 1)
    stream = cycle.stream(garbage_rate=0.3, rng=random.Random(1))
    decoder = EventDecoder(1, 341)
    data, garbage = stream.take(3 * cycle.frames, 1)
    undecodable = 0
    names = []
    for message in split_frames(data):
        try:
            names.append(decoder.decode(message).name)
        except DecodeError as error:
            assert error.reason == "unknown discriminator 255"
            undecodable += 1
    assert undecodable == garbage and 0.2 < garbage / (3 * cycle.frames) < 0.4
    # Dropped is never garbled: a garbage frame takes one ID, Dropped(3) takes three.
    assert names.count("Dropped") == 3
    # Garbling patches only the bytes sent: without it, the next repetition decodes whole.
    stream.garbage_rate = 0
    data, garbage = stream.take(cycle.frames, 1)
    assert garbage == 0
    assert len([decoder.decode(message) for message in split_frames(data)]) == cycle.frames


def test_peer_ids_follow_from_seed_and_index():
    assert node_id(0, 5) == node_id(0, 5)
    ids = {node_id(seed, index) for seed in (0, 1) for index in range(1024)}
    assert len(ids) == 2048
    assert all(re.fullmatch("[0-9a-f]{64}", value) for value in ids)
