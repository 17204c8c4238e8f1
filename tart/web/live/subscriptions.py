"""Who wants which events: filters, each client's bounded outbox, and subscriptions.

A filter is a node, a set of event types, or both (AND); no condition means every event. /api/ws
clients name one filter per Subscribe (`All`, `Node`, `EventType`, `EventTypeRange`);
/api/events/stream combines its `node_id` and `event_type` query parameters.
"""

import re
from collections import deque
from dataclasses import dataclass, field

import gevent.event

from tart.web.live.messages import batch

# Event ids are PostgreSQL bigints.
MAX_ID = 2**63 - 1

_NODE_ID = re.compile(r"(?:0x)?([0-9a-f]{64})")
_DIGITS = re.compile(r"[0-9]{1,19}")
_TYPE_OR_RANGE = re.compile(r"([0-9]{1,3})(?:-([0-9]{1,3}))?")

FILTER_TYPES = ("All", "Node", "EventType", "EventTypeRange")


class FilterError(ValueError):
    """A filter or parameter that cannot be applied; the message tells the client why."""


@dataclass(frozen=True)
class Filter:
    node_id: str | None = None
    event_types: frozenset | None = None
    # How the client wrote it, normalised; what `subscribed` acknowledges.
    spec: dict = field(default=None, compare=False)

    @property
    def everything(self) -> bool:
        return self.node_id is None and self.event_types is None

    def matches(self, event) -> bool:
        return (self.node_id is None or event.node_id == self.node_id) and (
            self.event_types is None or event.event_type in self.event_types
        )


ALL = Filter(spec={"type": "All"})


def parse_filter(spec) -> Filter:
    """The filter of a Subscribe message, e.g. {"type": "Node", "node_id": "…"}."""
    if not isinstance(spec, dict) or not isinstance(spec.get("type"), str):
        raise FilterError('filter must be an object with a "type": ' + ", ".join(FILTER_TYPES))
    kind = spec["type"]
    if kind == "All":
        return ALL
    if kind == "Node":
        node = node_id(spec.get("node_id"))
        return Filter(node_id=node, spec={"type": "Node", "node_id": node})
    if kind == "EventType":
        number = event_type(spec.get("event_type"), "event_type")
        return Filter(
            event_types=frozenset([number]), spec={"type": "EventType", "event_type": number}
        )
    if kind == "EventTypeRange":
        start = event_type(spec.get("start"), "start")
        end = event_type(spec.get("end"), "end")
        if start > end:
            raise FilterError(f"EventTypeRange start ({start}) must not be after end ({end})")
        return Filter(
            event_types=frozenset(range(start, end + 1)),
            spec={"type": "EventTypeRange", "start": start, "end": end},
        )
    raise FilterError(f"unknown filter type {kind!r}; expected one of {', '.join(FILTER_TYPES)}")


def parse_query(args) -> tuple[Filter, int | None]:
    """The filter and since_id of /api/events/stream's query parameters.

    `node_id`: one node; `event_type`: a discriminator, a range `90-113`, or a comma-separated
    list of both; `since_id`: replay stored events after this id first.
    """
    node = node_id(args["node_id"]) if "node_id" in args else None
    types = event_type_list(args["event_type"]) if "event_type" in args else None
    spec = {}
    if node is not None:
        spec["node_id"] = node
    if types is not None:
        spec["event_type"] = args["event_type"]
    since = since_id(args["since_id"]) if "since_id" in args else None
    return Filter(node_id=node, event_types=types, spec=spec), since


def node_id(value) -> str:
    """64 hex digits, any case, optionally 0x-prefixed, as stored: lowercase, no prefix."""
    match = _NODE_ID.fullmatch(value.lower()) if isinstance(value, str) else None
    if match is None:
        raise FilterError("node_id must be 64 hexadecimal characters, optionally prefixed with 0x")
    return match[1]


def event_type(value, name: str) -> int:
    if type(value) is not int or not 0 <= value <= 255:
        raise FilterError(f"{name} must be an event discriminator, a whole number from 0 to 255")
    return value


def event_type_list(text: str) -> frozenset:
    types = set()
    for part in text.split(","):
        match = _TYPE_OR_RANGE.fullmatch(part.strip())
        start = int(match[1]) if match else 256
        end = int(match[2]) if match and match[2] else start
        if not start <= end <= 255:
            raise FilterError(
                "event_type must be event discriminators (0 to 255) or ranges "
                "such as 90-113, separated by commas"
            )
        types.update(range(start, end + 1))
    return frozenset(types)


def since_id(value) -> int:
    """An event id to resume after: a whole number from 0, in JSON or as query text."""
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        value = int(value)
    if type(value) is not int or not 0 <= value <= MAX_ID:
        raise FilterError(f"since_id must be an event id, a whole number from 0 to {MAX_ID}")
    return value


class Outbox:
    """Frames waiting to be written to one client.

    Live events may not pile up: a client that still has more than `limit` waiting when more
    arrive cannot keep up, and is closed by `on_overflow(queued)` rather than slowing the
    listener or anyone else. (The check is before adding, so that one large batch of events
    does not count against a client that keeps up.) Replies and replayed events are not limited
    here; the connection sends those only as fast as the client reads.
    """

    def __init__(self, limit: int, on_overflow, on_events):
        self.limit = limit
        self.events = 0  # events queued to this client so far
        self.closed = False  # the client is being closed: nothing more is queued
        self._frames = deque()
        self._waiting = 0  # events in _frames (a frame may carry one event, or a batch)
        self._on_overflow = on_overflow
        self._on_events = on_events
        self.ready = gevent.event.Event()  # something to send
        self.drained = gevent.event.Event()  # nothing left to send
        self.drained.set()

    def __len__(self):
        return len(self._frames)

    def put(self, frame: bytes) -> None:
        if not self.closed:
            self._frames.append(frame)
            self._wake()

    def put_events(self, frames: list, events: int, limited: bool = True) -> None:
        """Queue `frames`, which carry `events` events between them."""
        if self.closed:
            return
        if limited and self._waiting > self.limit:
            self.overflow(self._waiting)
            return
        self._frames.extend(frames)
        self._waiting += events
        self.events += events
        self._on_events(events)
        self._wake()

    def overflow(self, queued: int) -> None:
        """Too many live events wait for this client: give up on it."""
        self._on_overflow(queued)

    def close(self) -> None:
        """Drop what is queued and take nothing more; wake whoever waits on the outbox."""
        self.closed = True
        self._frames.clear()
        self._waiting = 0
        self.ready.set()
        self.drained.set()

    def take(self) -> deque:
        """Everything queued, oldest first, leaving the outbox empty."""
        frames, self._frames = self._frames, deque()
        self._waiting = 0
        self.ready.clear()
        return frames

    def _wake(self):
        self.drained.clear()
        self.ready.set()


class Subscription:
    """One filter a client follows. While its stored events are replayed, live events that
    arrive are held in `pending` (as bounded as the outbox) and queued after the replay."""

    def __init__(self, filter: Filter, outbox: Outbox, kind: str, replaying: bool = False):
        self.filter = filter
        self.outbox = outbox
        # How this client takes events: "message" (an `event` message each), "batch" (one
        # `events` message per delivery) or "plain" (bare event objects, /api/events/stream).
        self.kind = kind
        self.pending = [] if replaying else None
        # The last replayed id: the replay may have read events the listener has yet to
        # dispatch, and those must not be sent twice.
        self.replayed_through = None

    def deliver(self, events: list, frames_by_kind: dict) -> None:
        """Hand over new live events (all matching, in id order); `frames_by_kind` shares
        their frames among the subscriptions of one filter."""
        if self.outbox.closed:
            return
        if self.pending is not None:
            if len(self.pending) > self.outbox.limit:
                self.outbox.overflow(len(self.pending))
            else:
                self.pending.extend(events)
            return
        if self.replayed_through is not None:
            if events[-1].id <= self.replayed_through:
                return
            events = [e for e in events if e.id > self.replayed_through]
            frames_by_kind = {}
            self.replayed_through = None
        frames = frames_by_kind.get(self.kind)
        if frames is None:
            frames = frames_by_kind[self.kind] = self.frames(events)
        self.outbox.put_events(frames, len(events))

    def frames(self, events: list) -> list:
        """`events` as this client takes them."""
        if self.kind == "batch":
            return [batch(events)]
        return [getattr(event, self.kind) for event in events]

    def go_live(self, replayed_through: int) -> None:
        """End the replay, whose last event had id `replayed_through`: queue the held live
        events after it, and from now on queue live events directly."""
        held, self.pending = self.pending, None
        self.replayed_through = replayed_through
        if held:
            self.deliver(held, {})
