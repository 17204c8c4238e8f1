"""Pages of the newest events follow commits (tart.web.api.latest_pages): a followed page is the
page a fresh rendering would give."""

import random

import orjson

from tart.web.api import latest_pages
from tart.web.api.latest_pages import Committed, LatestPage, RecentEvents
from tart.web.filters import Filter

NODES = ("aa" * 32, "ab" * 32, "bb" * 32)


def event(number, rng):
    node, kind = rng.choice(NODES), rng.choice((10, 11, 42))
    return Committed(number, node, kind, orjson.Fragment(b'{"id":%d}' % number))


class Store:
    """Committed events with ids 1, 2, ... (some ids rolled back, so never committed); counts
    the fetches RecentEvents makes."""

    def __init__(self, rng):
        self.events = []
        self.fetches = []
        self._rng = rng

    def commit(self, count):
        number = self.events[-1].id if self.events else 0
        for _ in range(count):
            number += 1 + (self._rng.random() < 0.1)
            self.events.append(event(number, self._rng))
        return number

    def fetch(self, low, high):
        self.fetches.append((low, high))
        return [e for e in self.events if low < e.id <= high]

    def rendered(self, chosen, limit, upto, recent):
        """The page as rendered from the database once `upto` is committed."""
        matching = [e for e in reversed(self.events) if e.id <= upto and chosen.matches(e)]
        page = [(e.id, e.json) for e in matching[:limit]]
        return LatestPage(page, limit, len(matching) > limit, chosen, recent)


FILTERS = (
    Filter(),
    Filter(node_id=NODES[0]),
    Filter(node_id="a"),
    Filter(event_types=frozenset({42})),
    Filter(node_id=NODES[2], event_types=frozenset({10, 11})),
)


def test_a_followed_page_is_the_page_rendered_after_the_commits():
    rng = random.Random(5)
    store = Store(rng)
    recent = RecentEvents(store.fetch)
    shown = store.commit(30)
    for chosen in FILTERS:
        for limit in (1, 5, 50):
            page = store.rendered(chosen, limit, shown, recent)
            upto = shown
            for batch in (1, 3, 0, 20, 7, 60):
                before = upto
                if batch:
                    upto = store.commit(batch)
                page = page.advanced(before, upto)
                expected = store.rendered(chosen, limit, upto, recent)
                assert page.body == expected.body, (chosen, limit, batch)
                assert (page.has_more, page.events) == (expected.has_more, expected.events)
            shown = upto


def test_each_commit_is_fetched_once_for_every_page():
    store = Store(random.Random(6))
    recent = RecentEvents(store.fetch)
    shown = store.commit(10)
    pages = [store.rendered(chosen, 5, shown, recent) for chosen in FILTERS]
    committed = store.commit(10)
    pages = [page.advanced(shown, committed) for page in pages]
    assert store.fetches == [(shown, committed)]
    newer = store.commit(10)
    pages = [page.advanced(committed, newer) for page in pages]
    assert store.fetches == [(shown, committed), (committed, newer)]


def test_a_page_too_far_behind_is_rendered_again(monkeypatch):
    monkeypatch.setattr(latest_pages, "MAX_IDS", 50)
    store = Store(random.Random(7))
    recent = RecentEvents(store.fetch)
    shown = store.commit(5)
    page = store.rendered(Filter(), 5, shown, recent)
    assert page.advanced(shown, store.commit(60)) is None
    assert store.fetches == []


def test_events_before_those_held_are_fetched_again(monkeypatch):
    monkeypatch.setattr(latest_pages, "MAX_IDS", 50)
    store = Store(random.Random(8))
    recent = RecentEvents(store.fetch)
    old = store.commit(5)
    lagging = store.rendered(Filter(), 5, old, recent)
    middle = store.commit(30)
    current = store.rendered(Filter(), 5, middle, recent)
    newest = store.commit(30)
    current = current.advanced(middle, newest)  # holds only the last 50 ids now
    assert lagging.advanced(old, newest) is None  # more than 50 ids behind
    assert lagging.advanced(old, middle).body == current_at(store, middle, recent)
    assert store.fetches[-1] == (old, middle)


def current_at(store, upto, recent):
    return store.rendered(Filter(), 5, upto, recent).body


def test_a_page_that_shows_more_than_it_is_said_to_follows_without_repeating_an_event():
    """Rendered across a commit, a page is kept as showing the events up to the id read before
    it was rendered (tart.web.api.page_cache): following from there must skip what it shows."""
    rng = random.Random(7)
    store = Store(rng)
    recent = RecentEvents(store.fetch)
    said = store.commit(40)
    rendered_at = store.commit(25)
    committed = store.commit(30)
    for chosen in FILTERS:
        page = store.rendered(chosen, 10, rendered_at, recent)
        followed = page.advanced(said, committed)
        assert followed.body == store.rendered(chosen, 10, committed, recent).body, chosen


def test_pages_follow_long_after_the_first_events_held_are_forgotten(monkeypatch):
    monkeypatch.setattr(latest_pages, "MAX_IDS", 40)
    rng = random.Random(9)
    store = Store(rng)
    recent = RecentEvents(store.fetch)
    shown = store.commit(10)
    pages = {chosen: store.rendered(chosen, 3, shown, recent) for chosen in FILTERS}
    for step in range(30):
        upto = store.commit(rng.randint(1, 12))
        for chosen, page in pages.items():
            pages[chosen] = page.advanced(shown, upto)
            assert pages[chosen].body == store.rendered(chosen, 3, upto, recent).body, step
        shown = upto
