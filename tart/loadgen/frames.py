"""A mix's cycle encoded once into wire bytes, and the stream of frames a connection sends.

Encoding with construct takes tens of microseconds per event, far too slow to do while sending,
so a cycle is encoded once per kind of node (protocol version, core count) before the clock
starts. While sending, only what must change is written into the bytes in place: each frame's
Timestamp (or, for events a mix timed, the node time it gave them), its slots when the JAM slot
of the moment moves on (so a node's best block is the slot of the clock, the same for every
node), and on each repetition of the cycle the event IDs it refers to, its hashes that differ
per repetition and its slots of the cycle.
"""

import random
import struct

from tart.loadgen.nodes import SLOT_PERIOD
from tart.loadgen.parts import CycleSlot, Hash, Ref, Slot
from tart.protocol import DISCRIMINATOR_OFFSET, FRAME_SIZE, encode_event, frame

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_HASH_COUNT = struct.Struct(">Q")  # a Hash's last 8 bytes
SLOT_US = SLOT_PERIOD * 1_000_000
MARKERS = (Ref, Slot, Hash, CycleSlot)
# Offsets in a frame, which is the message's size and then the message.
TIMESTAMP_IN_FRAME = FRAME_SIZE.size
DISCRIMINATOR_IN_FRAME = FRAME_SIZE.size + DISCRIMINATOR_OFFSET
# No event has discriminator 255; a frame carrying it is undecodable but correctly framed.
GARBAGE_DISCRIMINATOR = 0xFF


def slot_at(timestamp):
    """The JAM slot at a JIP-3 Timestamp: slot 0 began at the JAM Common Era."""
    return timestamp // SLOT_US


class Cycle:
    """The frames of one cycle of a script, and where in them the IDs and slots sit."""

    def __init__(self, script, timestamp):
        self.script = script
        self.first_slot = slot_at(timestamp)
        self.frames = len(script.events)
        self.id_advance = script.id_advance
        self.event_ids = script.event_ids
        blob = bytearray()
        self.starts = []
        self.discriminators = []
        # (offset in blob, struct, value at repetition 0, step per repetition): IDs, hashes
        # and slots of the cycle
        self.patches = []
        self.slot_patches = []  # (offset in blob, Slot marker)
        self.timed = []  # (frame index, node time at repetition 0, step): events a mix timed
        for index, (data, at) in enumerate(zip(script.events, script.times)):
            message = self._encode(self._resolve(data, 0, self.first_slot), timestamp)
            for path, marker in _markers(data):
                width = 4 if isinstance(marker, (Slot, CycleSlot)) else 8
                offset = self._offset_of(data, path, width, message, timestamp)
                offset += len(blob) + FRAME_SIZE.size
                if isinstance(marker, Slot):
                    self.slot_patches.append((offset, marker))
                else:
                    kind = {Ref: _U64, Hash: _HASH_COUNT, CycleSlot: _U32}[type(marker)]
                    self.patches.append((offset, kind, *self._progression(marker)))
            if at is not None:
                slot, after_us = at
                base, step = self._progression(slot)
                self.timed.append((index, base * SLOT_US + after_us, step * SLOT_US))
            self.starts.append(len(blob))
            self.discriminators.append(message[DISCRIMINATOR_OFFSET])
            blob += frame(message)
        self.starts.append(len(blob))
        self.blob = bytes(blob)
        # Replacing a Dropped frame by garbage would change the numbering (+1 instead of +N).
        self.garbleable = [name != "Dropped" for data in script.events for name in data]

    def expected(self, repetition, slot):
        """The events of the given repetition, sent during `slot`, as the decoder returns them:
        (event_id, data)."""
        return [
            (event_id + repetition * self.id_advance, self._resolve(data, repetition, slot))
            for event_id, data in zip(self.event_ids, self.script.events)
        ]

    def timestamp(self, index, repetition, sent):
        """The Timestamp of frame `index` in a repetition: as the mix timed it, else `sent`."""
        for timed, base, step in self.timed:
            if timed == index:
                return base + repetition * step
        return sent

    def stream(self, garbage_rate=0.0, rng=None):
        """A fresh stream for a new connection: event IDs start again at 0."""
        return Stream(self, garbage_rate, rng or random.Random(0))

    def _resolve(self, data, repetition, slot, override=None):
        def value(path, marker):
            if override is not None and path == override[0]:
                number = override[1]
            elif isinstance(marker, Slot):
                return slot_value(marker, slot)
            else:
                base, step = self._progression(marker)
                number = base + repetition * step
            return marker.at(number) if isinstance(marker, Hash) else number

        return _replace_markers(data, (), value)

    def _encode(self, data, timestamp):
        return encode_event(data, timestamp, self.script.protocol_version, self.script.core_count)

    def _offset_of(self, data, path, width, message, timestamp):
        """Where a marked field sits in the message: encode it again with every bit of its
        value flipped and see which bytes change."""
        base = self._start_value(_at(data, path))
        flipped = base ^ ((1 << (8 * width)) - 1)
        other = self._encode(self._resolve(data, 0, self.first_slot, (path, flipped)), timestamp)
        changed = [i for i, (a, b) in enumerate(zip(message, other)) if a != b]
        if len(message) != len(other) or changed != list(range(changed[0], changed[0] + width)):
            raise ValueError(f"cannot locate {path} in {next(iter(data))}")
        return changed[0]

    def _start_value(self, marker):
        if isinstance(marker, Slot):
            return slot_value(marker, self.first_slot)
        return self._progression(marker)[0]

    def _progression(self, marker):
        """A marker that moves on with each repetition: its value at repetition 0, and step."""
        if isinstance(marker, Ref):
            return marker.event_id, self.id_advance
        if isinstance(marker, Hash):
            return marker.start, 1
        return self.first_slot + marker.offset, self.script.slots_per_cycle


def slot_value(marker, slot):
    """A Slot marker's value during `slot` (never before slot 0)."""
    return max(0, slot + marker.offset)


class Stream:
    """The frames one connection sends: the cycle repeated, patched as it goes."""

    def __init__(self, cycle, garbage_rate, rng):
        self.cycle = cycle
        self.buffer = bytearray(cycle.blob)
        self.position = 0  # index in the cycle of the next frame
        self.repetition = 0
        self.slot = cycle.first_slot  # the slot the buffer's slots are of
        self.garbage_rate = garbage_rate
        self.rng = rng

    def take(self, count, timestamp):
        """The next `count` frames as one piece of bytes, stamped `timestamp` unless the mix
        timed them; and how many of them were replaced by garbage."""
        cycle, buffer = self.cycle, self.buffer
        starts, frames = cycle.starts, cycle.frames
        pack_timestamp = _U64.pack_into
        parts, garbage = [], 0
        slot = slot_at(timestamp)
        if slot != self.slot:
            self.slot = slot
            for offset, marker in cycle.slot_patches:
                _U32.pack_into(buffer, offset, slot_value(marker, slot))
        while count:
            first = self.position
            last = min(frames, first + count)
            for start in starts[first:last]:
                pack_timestamp(buffer, start + TIMESTAMP_IN_FRAME, timestamp)
            for index, base, step in cycle.timed:
                if first <= index < last:
                    pack_timestamp(
                        buffer, starts[index] + TIMESTAMP_IN_FRAME, base + self.repetition * step
                    )
            if self.garbage_rate:
                garbled = self._garble(first, last)
                parts.append(buffer[starts[first] : starts[last]])
                for index in garbled:
                    buffer[starts[index] + DISCRIMINATOR_IN_FRAME] = cycle.discriminators[index]
                garbage += len(garbled)
            else:
                parts.append(buffer[starts[first] : starts[last]])
            count -= last - first
            self.position = last
            if last == frames:
                self._next_repetition()
        return b"".join(parts), garbage

    def _garble(self, first, last):
        garbled = []
        random_, rate, garbleable = self.rng.random, self.garbage_rate, self.cycle.garbleable
        for index in range(first, last):
            if garbleable[index] and random_() < rate:
                self.buffer[self.cycle.starts[index] + DISCRIMINATOR_IN_FRAME] = (
                    GARBAGE_DISCRIMINATOR
                )
                garbled.append(index)
        return garbled

    def _next_repetition(self):
        self.position = 0
        self.repetition += 1
        for offset, kind, base, step in self.cycle.patches:
            kind.pack_into(self.buffer, offset, base + self.repetition * step)


def _markers(value, path=()):
    """(path, marker) of every marker in an event's data, in field order."""
    if isinstance(value, MARKERS):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _markers(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _markers(item, (*path, index))


def _replace_markers(value, path, resolve):
    if isinstance(value, MARKERS):
        return resolve(path, value)
    if isinstance(value, dict):
        return {key: _replace_markers(item, (*path, key), resolve) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_markers(item, (*path, index), resolve) for index, item in enumerate(value)]
    return value


def _at(value, path):
    for key in path:
        value = value[key]
    return value
