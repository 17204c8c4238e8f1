"""Pages kept for a lifetime are rendered again in the background when asked for late in it
(tart.web.api.page_cache), while the kept page is served."""

import gevent
import pytest

from tart.web.api import nodes
from tart.web.api.page_cache import PageCache
from tests.support.page_cache import Listener


@pytest.fixture
def clock(monkeypatch):
    """The page cache's clock, moved by hand: [now]. Pages live their whole lifetime (no
    random shortening)."""
    now = [100.0]
    monkeypatch.setattr("tart.web.api.page_cache.time.monotonic", lambda: now[0])
    monkeypatch.setattr("tart.web.api.page_cache.random.uniform", lambda low, high: high)
    return now


def test_a_page_asked_for_late_in_its_life_is_renewed_in_the_background(clock):
    cache = PageCache(Listener(committed_id=7))
    renders = []

    def render():
        renders.append(clock[0])
        gevent.sleep(0.05)
        return b"%d" % len(renders)

    assert cache.page("/n", render, 4, False) == b"1"
    clock[0] += 2.9  # three quarters of its life left: kept as it is
    assert cache.page("/n", render, 4, False) == b"1" and len(renders) == 1
    clock[0] += 0.2  # less than a quarter left: served, and rendered again meanwhile
    assert cache.page("/n", render, 4, False) == b"1"
    assert cache.page("/n", render, 4, False) == b"1"
    gevent.sleep(0.2)
    assert len(renders) == 2  # once, however many asked meanwhile
    clock[0] += 3.5  # past the first rendering's lifetime, within the second's
    assert cache.page("/n", render, 4, False) == b"2" and len(renders) == 2


def test_a_failed_renewal_leaves_the_kept_page_until_it_expires(clock):
    cache = PageCache(Listener(committed_id=7))
    cache.page("/n", lambda: b"kept", 4, False)
    clock[0] += 3.5

    def fail():
        raise LookupError("database gone")

    assert cache.page("/n", fail, 4, False) == b"kept"
    gevent.sleep(0.05)
    # Still kept, and the next request tries again.
    assert cache.page("/n", lambda: b"new", 4, False) == b"kept"
    gevent.sleep(0.05)
    assert cache.page("/n", lambda: b"newer", 4, False) == b"new"


def test_event_pages_are_not_renewed_in_the_background(clock):
    cache = PageCache(Listener(committed_id=7))
    cache.page("/e", lambda: b"kept", 4, True)
    clock[0] += 3.5
    assert cache.page("/e", lambda: b"new", 4, True) == b"kept"
    gevent.sleep(0.05)
    assert cache.page("/e", lambda: b"new", 4, True) == b"kept"


def test_a_page_of_a_subject_asked_for_late_in_its_life_is_renewed_as_of_its_rendering(
    clock,
):
    listener = Listener(committed_id=7)
    cache = PageCache(listener)

    def page(body):
        return cache.page("/api/blocks/3", lambda: body, 4, True, "s3")

    assert page(b"1") == b"1"
    clock[0] += 3.5  # less than a quarter left: served, and rendered again meanwhile
    listener.committed_id = 8
    assert page(b"2") == b"1"
    gevent.sleep(0.05)
    clock[0] += 3.5  # past the first rendering's lifetime, within the renewal's
    assert page(b"3") == b"2"
    # The renewal shows the commits up to 8: a later one changing the subject is not in it.
    listener.changes.heard("9 s3")
    listener.committed_id = 9
    assert page(b"4") == b"4"


def test_a_page_renewed_in_the_background_reads_its_own_request(app, rows, clock):
    """The renewal runs after its request has been answered, with that request's path and
    arguments (Flask's request context, copied)."""
    app.extensions["tart_pages"] = PageCache(Listener(committed_id=7))
    client = app.test_client()
    for node_id in ("aa" * 32, "bb" * 32):
        rows.node(node_id, note="first")

    def notes():
        return [client.get(f"/api/nodes/{n * 32}").json["node_info"]["note"] for n in ("aa", "bb")]

    assert notes() == ["first", "first"]
    rows.sql("UPDATE known_nodes SET note = node_id || ' second'")
    clock[0] += nodes.PAGE_LIFETIME * 0.8
    assert notes() == ["first", "first"]
    gevent.sleep(0.5)
    assert notes() == ["aa" * 32 + " second", "bb" * 32 + " second"]
