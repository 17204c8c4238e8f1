"""Who wants which events: filters, each client's bounded outbox, and subscriptions.

A filter (tart.web.filters) is nodes, a set of event types, or both (AND); no condition means
every event. /api/ws clients name one filter per Subscribe (`All`, `Node`, `EventType`,
`EventTypeRange`); /api/events/stream combines its `node_id` and `event_type` query parameters
as the REST API does.
"""

from collections import deque

import gevent.event

from tart.web import filters
from tart.web.filters import Filter, FilterError
from tart.web.live.messages import batch

FILTER_TYPES = ("All", "Node", "EventType", "EventTypeRange")

ALL = Filter(spec={"type": "All"})


def parse_filter(spec) -> Filter:
    """The filter of a Subscribe message, e.g. {"type": "Node", "node_id": "…"}."""
    if not isinstance(spec, dict) or not isinstance(spec.get("type"), str):
        raise FilterError(
            'filter must be an object with a "type": ' + ", ".join(FILTER_TYPES), "filter", spec
        )
    kind = spec["type"]
    if kind == "All":
        return ALL
    if kind == "Node":
        node = filters.node_id(spec.get("node_id"))
        return Filter(node_id=node, spec={"type": "Node", "node_id": node})
    if kind == "EventType":
        number = filters.event_type(spec.get("event_type"), "event_type")
        return Filter(
            event_types=frozenset([number]), spec={"type": "EventType", "event_type": number}
        )
    if kind == "EventTypeRange":
        start = filters.event_type(spec.get("start"), "start")
        end = filters.event_type(spec.get("end"), "end")
        if start > end:
            raise FilterError(
                f"EventTypeRange start ({start}) must not be after end ({end})", "start", start
            )
        return Filter(
            event_types=frozenset(range(start, end + 1)),
            spec={"type": "EventTypeRange", "start": start, "end": end},
        )
    raise FilterError(
        f"unknown filter type {kind!r}; expected one of {', '.join(FILTER_TYPES)}", "filter", kind
    )


def parse_query(args) -> tuple[Filter, int | None]:
    """The filter and since_id of /api/events/stream's query parameters (the REST API's
    grammar, tart.web.filters); since_id: replay stored events after this id first."""
    since = filters.item_id(args["since_id"], "since_id") if "since_id" in args else None
    return filters.query_filter(args), since


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
        self._waiting = 0  # events in _frames (an entry may hold several frames)
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
        """`events` as this client takes them, in one buffer: joined once and shared by the
        filter's subscriptions, it costs each client one queue entry and one write rather than
        a queue entry, a join and a copy per event (~50 µs a client for 100 events)."""
        if self.kind == "batch":
            return [batch(events)]
        return [b"".join([getattr(event, self.kind) for event in events])]

    def go_live(self, replayed_through: int) -> None:
        """End the replay, whose last event had id `replayed_through`: queue the held live
        events after it, and from now on queue live events directly."""
        held, self.pending = self.pending, None
        self.replayed_through = replayed_through
        if held:
            self.deliver(held, {})
