"""Event pages are kept by each web worker until the next commit (tart.web.api.page_cache)."""

import time

import gevent
import requests

from tart.web.api import events, nodes
from tart.web.api.page_cache import PageCache
from tests.support.ingest import query, running_ingest, wait_for_rows
from tests.support.node import TelemetryNode, best_block
from tests.support.web import scrape, web_base


def marked(page, marker):
    return any(event["data"] == {"marker": marker} for event in page["events"])


def test_a_page_is_kept_until_a_commit_or_its_ttl(database_url):
    with (
        running_ingest(database_url) as (host, port, _),
        web_base(database_url) as base,
        TelemetryNode(host, port) as node,
        requests.Session() as session,
    ):
        for slot in range(3):
            node.send(best_block(slot))
        wait_for_rows(database_url, "SELECT count(*) FROM events", 3)
        path = f"{base}/api/nodes/{node.node_id}/events?limit=10"

        def page():
            response = session.get(path, timeout=10)  # keep-alive: the same worker answers
            assert response.status_code == 200
            return response.json()

        def rewrite(marker):
            """Change a stored event behind the API's back: no NOTIFY, as no writer did it."""
            query(
                database_url,
                "UPDATE events SET data = %s WHERE id = (SELECT min(id) FROM events) RETURNING id",
                (f'{{"marker": {marker}}}',),
            )

        # The worker's listener connects on its first page; from then on pages are kept.
        marker, deadline = 0, time.monotonic() + 10
        while True:
            marker += 1
            before = page()
            rewrite(marker)
            if page() == before:
                break
            assert time.monotonic() < deadline, "pages were never kept"
        kept_at = time.monotonic()

        # Without a commit, the rewrite shows once the page is events.PAGE_LIFETIME old.
        while not marked(page(), marker):
            assert time.monotonic() - kept_at < events.PAGE_LIFETIME + 2, "never expired"
            time.sleep(0.1)

        # A commit shows at once: well within the TTL of the page just rendered.
        rewrite(marker + 1)
        assert not marked(page(), marker + 1)
        node.send(best_block(3))
        wait_for_rows(database_url, "SELECT count(*) FROM events", 4)
        committed_at = time.monotonic()
        while len((latest := page())["events"]) < 4:
            assert time.monotonic() - committed_at < 1.0, "the commit did not renew the page"
            time.sleep(0.01)
        assert marked(latest, marker + 1)

        served = scrape(base)
        assert served[("telemetry_api_pages_total", (("how", "kept"),))] >= 2
        assert served[("telemetry_api_pages_total", (("how", "rendered"),))] >= 3


def test_a_node_page_is_kept_for_at_most_its_lifetime(database_url):
    with (
        running_ingest(database_url) as (host, port, _),
        web_base(database_url) as base,
        TelemetryNode(host, port) as node,
        requests.Session() as session,
    ):
        wait_for_rows(database_url, "SELECT count(*) FROM known_nodes", 1)
        path = f"{base}/api/nodes/{node.node_id}"
        marker, deadline = 0, time.monotonic() + 10
        while True:
            marker += 1
            before = session.get(path, timeout=10).json()
            query(database_url, "UPDATE known_nodes SET note = %s RETURNING note", (str(marker),))
            if session.get(path, timeout=10).json() == before:
                break
            assert time.monotonic() < deadline, "node pages were never kept"
        kept_at = time.monotonic()
        while session.get(path, timeout=10).json()["node_info"]["note"] != str(marker):
            assert time.monotonic() - kept_at < nodes.PAGE_LIFETIME + 1, "never expired"
            time.sleep(0.05)


class Listener:
    """What PageCache reads of tart.web.live.listener.Listener."""

    def __init__(self, committed_id):
        self.committed_id = committed_id
        self.started = False

    def start(self):
        self.started = True


def test_a_page_asked_for_by_many_at_once_is_rendered_once():
    cache = PageCache(Listener(committed_id=7))
    renders = []

    def render():
        renders.append(1)
        gevent.sleep(0.05)
        return b'{"events":[]}'

    jobs = [gevent.spawn(cache.page, "/api/events?", render, 5, True) for _ in range(10)]
    bodies = [job.value for job in gevent.joinall(jobs, raise_error=True)]
    assert bodies == [b'{"events":[]}'] * 10 and len(renders) == 1
    assert cache.page("/api/events?", render, 5, True) == b'{"events":[]}' and len(renders) == 1


def test_a_page_rendered_across_a_commit_is_not_kept():
    listener = Listener(committed_id=7)
    cache = PageCache(listener)
    renders = []

    def render():
        renders.append(1)
        listener.committed_id = 8  # committed while the page was rendered
        return b"{}"

    cache.page("/api/events?", render, 5, True)
    cache.page("/api/events?", lambda: renders.append(2) or b"{}", 5, True)
    assert renders == [1, 2]


def test_only_pages_kept_until_a_commit_are_renewed_by_one():
    listener = Listener(committed_id=7)
    cache = PageCache(listener)
    cache.page("/api/events?", lambda: b"old", 5, True)
    cache.page("/api/nodes?", lambda: b"old", 5, False)
    listener.committed_id = 8
    assert cache.page("/api/events?", lambda: b"new", 5, True) == b"new"
    assert cache.page("/api/nodes?", lambda: b"new", 5, False) == b"old"


def test_without_the_listener_event_pages_are_rendered_node_pages_kept_and_it_started():
    listener = Listener(committed_id=None)
    cache = PageCache(listener)
    assert cache.page("/a", lambda: b"1", 5, True) == b"1"
    assert cache.page("/a", lambda: b"2", 5, True) == b"2"
    assert cache.page("/n", lambda: b"1", 5, False) == b"1"
    assert cache.page("/n", lambda: b"2", 5, False) == b"1"
    assert listener.started


def test_an_error_is_raised_to_everyone_waiting_and_not_kept():
    cache = PageCache(Listener(committed_id=7))

    def fail():
        gevent.sleep(0.05)
        raise LookupError("no such node")

    jobs = [gevent.spawn(cache.page, "/n", fail, 5, True) for _ in range(3)]
    gevent.joinall(jobs)
    assert all(isinstance(job.exception, LookupError) for job in jobs)
    assert cache.page("/n", lambda: b"ok", 5, True) == b"ok"


def test_kept_pages_are_bounded_oldest_first(monkeypatch):
    monkeypatch.setattr("tart.web.api.page_cache.MAX_BYTES", 10)
    cache = PageCache(Listener(committed_id=7))
    for key in "abc":
        cache.page(key, lambda: b"1234", 5, True)
    assert cache.page("a", lambda: b"new", 5, True) == b"new"  # evicted
    assert cache.page("c", lambda: b"new", 5, True) == b"1234"  # kept
    assert cache.page("b", lambda: b"new", 5, True) == b"new"  # evicted for the new "a"
