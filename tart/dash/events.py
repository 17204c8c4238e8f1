"""The events the dashboard holds: the latest ones, the operator's filtered view of them, and
how many arrived each second."""

import time
from collections import deque
from datetime import datetime

from tart.client import Event, Missed
from tart.dash.filter import EventFilter

# Events kept for the list (the newest); older ones are a REST query away.
KEEP = 1000
# Seconds of events per second kept for the sparkline.
RATE_SECONDS = 120
# The figure beside the sparkline is the mean of this many complete seconds.
RATE_MEAN_SECONDS = 5


class EventLog:
    """The newest KEEP events in id order, and those the filter lets through (the view).

    The view holds Events and Missed markers (events stored while the stream was away that the
    server could not replay), oldest first. `changes` counts changes to the view, so a screen
    redraws only when there is something new.
    """

    def __init__(self):
        self.recent = deque(maxlen=KEEP)
        self.view = deque(maxlen=KEEP)
        self.filter = EventFilter()
        self.rate = RateMeter()
        self.last_id = None  # of the newest event held: the live stream resumes after it
        self.stream_from = None  # the live stream brings the events after this id
        self.streamed = 0  # events that came over the live stream
        self.changes = 0

    def add(self, event: Event) -> None:
        """An event from the live stream (ids only grow)."""
        self.recent.append(event)
        self.last_id = event.id
        self.streamed += 1
        self.rate.count(event.received_at)
        if self.filter.matches(event):
            self.view.append(event)
            self.changes += 1

    def missed(self, gap: Missed) -> None:
        self.last_id = gap.through_id
        self.recent.clear()  # they no longer lead up to what comes next
        self.view.append(gap)
        self.changes += 1

    def start(self, history: list[Event]) -> None:
        """The latest stored events (newest first), read before the live stream starts."""
        for event in reversed(history):
            self.recent.append(event)
            self.view.append(event)
        if history:
            self.last_id = history[0].id
        self.stream_from = self.last_id
        self.changes += 1

    def narrow(self, event_filter: EventFilter, history: list[Event]) -> None:
        """Show only what `event_filter` lets through: the latest stored matching events
        (`history`, newest first, read from the API), then those held that came after them."""
        self.filter = event_filter
        newest = history[0].id if history else -1
        self.view.clear()
        self.view.extend(reversed(history))
        self.view.extend(e for e in self.recent if e.id > newest and event_filter.matches(e))
        self.changes += 1


class RateMeter:
    """Events per second of TART's receive time (`received_at`), so that events replayed after
    a reconnect count in the seconds they arrived at TART, not when the dashboard got them.

    TART's clock and this machine's may differ: the meter takes the smallest delay it has seen
    between an event's `received_at` and its arrival here as the difference, so "now" on
    TART's clock is this machine's time minus that.
    """

    def __init__(self, clock=time.time):
        self._clock = clock
        self.counts: dict[int, int] = {}  # Unix second (TART's clock) → events
        self._offset = None
        self._parsed = ("", 0)

    def count(self, received_at: str) -> None:
        second = self._second(received_at)
        self.counts[second] = self.counts.get(second, 0) + 1
        delay = self._clock() - second - int(received_at[20:26]) / 1e6
        if self._offset is None or delay < self._offset:
            self._offset = delay
        if len(self.counts) > 2 * RATE_SECONDS:
            oldest = self._last_complete() - RATE_SECONDS
            self.counts = {s: n for s, n in self.counts.items() if s > oldest}

    def series(self, seconds: int = RATE_SECONDS) -> list[int]:
        """Events in each of the last `seconds` complete seconds, oldest first."""
        last = self._last_complete()
        return [self.counts.get(second, 0) for second in range(last - seconds + 1, last + 1)]

    def per_second(self) -> float:
        return sum(self.series(RATE_MEAN_SECONDS)) / RATE_MEAN_SECONDS

    def _last_complete(self) -> int:
        # A second counts as complete half a second after its end on TART's clock: its last
        # events take well under that to be written and to get here.
        return int(self._clock() - (self._offset or 0) - 0.5) - 1

    def _second(self, received_at: str) -> int:
        """The Unix second of an API time (YYYY-MM-DDTHH:MM:SS.ffffffZ)."""
        prefix = received_at[:19]
        if prefix != self._parsed[0]:
            self._parsed = (prefix, int(datetime.fromisoformat(prefix + "+00:00").timestamp()))
        return self._parsed[1]
