"""What a conformance check counts: per event kind its frames and distinct failures, per Event ID
field how its references fared, the kind of every event ID so far, and the totals and most
frequent failures of a report, which the service's conformance reports share.
"""

from array import array
from bisect import bisect_right

# Distinct failures (field, byte offset, reason) listed per kind, most frequent first.
TOP_ERRORS = 5


class Kind:
    """The frames of one discriminator (None: frames too short to carry one)."""

    __slots__ = ("discriminator", "failures", "first_error", "invalid", "name", "valid")

    def __init__(self, discriminator, name):
        self.discriminator = discriminator
        self.name = name
        self.valid = 0
        self.invalid = 0
        self.failures = {}  # (field_path, byte_offset, reason) → [count, first frame, hint]
        self.first_error = None

    @property
    def frames(self):
        return self.valid + self.invalid

    def entry(self):
        return {
            "discriminator": self.discriminator,
            "name": self.name,
            "frames": self.frames,
            "valid": self.valid,
            "invalid": self.invalid,
            "errors": top_errors(
                {
                    "field_path": field_path,
                    "byte_offset": byte_offset,
                    "reason": reason,
                    "hint": hint,
                    "count": count,
                    "first_frame": first_frame,
                }
                for (field_path, byte_offset, reason), (count, first_frame, hint) in (
                    self.failures.items()
                )
            ),
            "distinct_errors": len(self.failures),
            "first_error": self.first_error,
        }


def totals(kinds):
    """A report's `totals`, from its `kinds` entries (frames, valid and invalid of each)."""
    return {
        "events": sum(kind["frames"] for kind in kinds),
        "valid": sum(kind["valid"] for kind in kinds),
        "invalid": sum(kind["invalid"] for kind in kinds),
        "kinds_seen": len(kinds),
        "kinds_invalid": sum(1 for kind in kinds if kind["invalid"]),
    }


def top_errors(errors, key="first_frame"):
    """The TOP_ERRORS most frequent failures; of equally frequent ones, those seen first."""
    return sorted(errors, key=lambda error: (-error["count"], error[key]))[:TOP_ERRORS]


class References:
    """How one Event ID field of one kind fared."""

    __slots__ = ("checked", "expected", "first_wrong", "right", "unresolvable", "wrong")

    def __init__(self, expected):
        self.expected = expected
        self.checked = self.right = self.wrong = self.unresolvable = 0
        self.first_wrong = None


class KindsById:
    """The kind of every event ID so far, as runs of consecutive IDs (a Dropped event's IDs
    are a gap between runs), two bytes an event."""

    def __init__(self):
        self._starts = []
        self._runs = []

    def add(self, event_id, kind):
        if self._runs:
            start, run = self._starts[-1], self._runs[-1]
            if start <= event_id < start + len(run):  # after Dropped(0): the same ID again
                run[event_id - start] = kind
                return
            if event_id == start + len(run):
                run.append(kind)
                return
        self._starts.append(event_id)
        self._runs.append(array("h", (kind,)))

    def get(self, event_id):
        """The kind of an ID's event; None if it was dropped (never sent)."""
        index = bisect_right(self._starts, event_id) - 1
        if index < 0:
            return None
        position = event_id - self._starts[index]
        run = self._runs[index]
        return run[position] if position < len(run) else None
