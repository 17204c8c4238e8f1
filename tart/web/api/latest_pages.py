"""Pages of the newest events that follow commits instead of being rendered again after each.

A page of the newest events matching a filter (/api/events and /api/nodes/<node_id>/events
without a cursor, offset or time bounds) changes with a commit only by the matching events the
commit added: they go on top and as many fall off the bottom. So when a kept page is behind the
last commit, the page cache (tart.web.api.page_cache) asks it to follow: the worker fetches the
events committed since (one query per commit, whatever the number of pages kept, rendered once
by the one event renderer) and each page takes its own from them, without a query of its own.
On a live network every batch holds events of most nodes, so every node's page changes with
every commit; followed, a page costs its worker a few microseconds instead of a query.

Ids are committed in order (the ingest writers' lock), so once the listener has heard of a
commit up to id N, the events with low < id <= N are every event committed in that range.
"""

import bisect
from typing import NamedTuple

import gevent.lock
import orjson

from tart.web.filters import Filter

# Events kept for pages to follow, and the most a page may be behind and still follow (in ids,
# which are dense): fetching more than this would cost more than rendering a page.
MAX_IDS = 5000


class Committed(NamedTuple):
    """An event as recently committed, rendered for /api/events."""

    id: int
    node_id: str
    event_type: int
    json: orjson.Fragment


class RecentEvents:
    """The events committed lately, fetched and rendered once per worker for every page."""

    def __init__(self, fetch):
        # fetch(low, high): the Committed events with low < id <= high, oldest first.
        self._fetch = fetch
        self._low = self._high = 0  # the events held are every one with _low < id <= _high
        self._events = []
        self._ids = []  # their ids, for bisect
        # The same events by node (node id -> (ids, events)): a node's page takes its own
        # without testing every event of every node.
        self._nodes = {}
        self._lock = gevent.lock.Semaphore()

    def between(self, low: int, high: int, node_id: str | None = None) -> list[Committed] | None:
        """The events committed with low < id <= high (of node `node_id` only, if given),
        oldest first; None when that is more than MAX_IDS ids."""
        if high - low > MAX_IDS:
            return None
        with self._lock:  # one fetch at a time; whoever waited finds the events fetched
            if not self._low <= low <= self._high:
                self._low = self._high = low
                self._events, self._ids, self._nodes = [], [], {}
            if high > self._high:
                fetched = self._fetch(self._high, high)
                self._events += fetched
                self._ids += [event.id for event in fetched]
                for event in fetched:
                    ids, events = self._nodes.setdefault(event.node_id, ([], []))
                    ids.append(event.id)
                    events.append(event)
                self._high = high
                self._forget(high - MAX_IDS)
            ids, events = (
                (self._ids, self._events) if node_id is None else self._nodes.get(node_id, ((), ()))
            )
            first = bisect.bisect_right(ids, low)
            return events[first : bisect.bisect_right(ids, high)]

    def _forget(self, upto: int):
        if upto > self._low:
            cut = bisect.bisect_right(self._ids, upto)
            del self._events[:cut], self._ids[:cut]
            for node_id, (ids, events) in list(self._nodes.items()):
                cut = bisect.bisect_right(ids, upto)
                if cut == len(ids):
                    del self._nodes[node_id]
                else:
                    del ids[:cut], events[:cut]
            self._low = upto


class LatestPage:
    """The newest `limit` events matching `filter`, newest first, as the page cache keeps them:
    its JSON body and how to bring it up to a later commit."""

    def __init__(self, events, limit: int, has_more: bool, filter: Filter, recent: RecentEvents):
        self.events = events  # (id, rendered event), newest first
        self.limit = limit
        self.has_more = has_more
        self.filter = filter
        self.recent = recent
        following = events[-1][0] if len(events) == limit else None
        self.body = orjson.dumps(
            {"events": [json for _, json in events], "next": following, "has_more": has_more}
        )

    def advanced(self, shown: int, committed: int) -> "LatestPage | None":
        """The page once the commits after id `shown` up to `committed` are in it; None when it
        is too far behind to follow."""
        one_node = self.filter.node_id if self.filter.one_node else None
        added = self.recent.between(shown, committed, one_node)
        if added is None:
            return None
        newest = self.events[0][0] if self.events else shown
        mine = [(e.id, e.json) for e in reversed(added) if e.id > newest and self.filter.matches(e)]
        if not mine:
            return self
        events = mine + self.events
        return LatestPage(
            events[: self.limit],
            self.limit,
            self.has_more or len(events) > self.limit,
            self.filter,
            self.recent,
        )
