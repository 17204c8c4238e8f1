"""Event pages are kept by each web worker until the next commit (tart.web.api.page_cache)."""

import time

import gevent
import requests

from tart.web.api import events, nodes
from tart.web.api.page_cache import PageCache
from tests.support.ingest import query, running_ingest, wait_for_rows
from tests.support.node import TelemetryNode, best_block
from tests.support.page_cache import Listener
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

        # A commit shows at once: well within the TTL of the page just rendered. (The page
        # follows it, tests below, so the rewrite may show only when the page expires.)
        rewrite(marker + 1)
        assert not marked(page(), marker + 1)
        node.send(best_block(3))
        wait_for_rows(database_url, "SELECT count(*) FROM events", 4)
        committed_at = time.monotonic()
        while len(page()["events"]) < 4:
            assert time.monotonic() - committed_at < 1.0, "the commit did not renew the page"
            time.sleep(0.01)

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


def test_kept_pages_of_the_newest_events_follow_each_commit(database_url):
    """A kept page changes with each batch that touches its node, into the page a fresh
    rendering gives, while the pages of nodes it did not touch stay as they were."""
    with (
        running_ingest(database_url) as (host, port, _),
        web_base(database_url) as base,
        TelemetryNode(host, port) as one,
        TelemetryNode(host, port) as other,
        requests.Session() as session,
    ):
        for slot in range(3):
            one.send(best_block(slot))
            other.send(finalized_block(slot))
        wait_for_rows(database_url, "SELECT count(*) FROM events", 6)
        latest = {
            "one's": f"/api/nodes/{one.node_id}/events?limit=4",
            "one's best blocks": f"/api/events?node_id={one.node_id[:8]}&event_type=11&limit=2",
            "other's": f"/api/nodes/{other.node_id}/events?limit=4",
            "everyone's finalized": "/api/events?event_type=12&limit=3",
            "everyone's": "/api/events?limit=5",
        }

        def pages():
            found = {}
            for name, path in latest.items():
                # The same page rendered from the database (a cursor is never followed), but
                # a notification may reach the worker between the two: then once more.
                deadline = time.monotonic() + 0.5
                while True:
                    response = session.get(f"{base}{path}", timeout=10)  # one worker answers
                    assert response.status_code == 200
                    fresh = session.get(f"{base}{path}&before_id={2**63 - 1}", timeout=10)
                    if response.json() == fresh.json():
                        break
                    assert time.monotonic() < deadline, name
                found[name] = response.json()
            return found

        shown = pages()
        stored = 6
        for slot in range(3, 9):
            sender = one if slot % 3 else other
            sender.send(best_block(slot) if sender is one else finalized_block(slot))
            stored += 1
            wait_for_rows(database_url, "SELECT count(*) FROM events", stored)
            (newest,) = query(database_url, "SELECT max(id) FROM events")[0]
            deadline = time.monotonic() + 1  # well before the page expires
            while True:
                now = pages()
                touched = [name for name in latest if now[name] != shown[name]]
                if any(now[name]["events"][0]["id"] == newest for name in touched):
                    break
                assert time.monotonic() < deadline, "no kept page took the commit"
                time.sleep(0.01)
            untouched = {"other's"} if sender is one else {"one's", "one's best blocks"}
            assert not untouched & set(touched), slot
            shown = now

        served = scrape(base)
        assert served[("telemetry_api_pages_total", (("how", "followed"),))] >= 1


def finalized_block(slot):
    return {"FinalizedBlockChanged": {"slot": slot, "hash": "0x" + f"{slot:064x}"}}


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


class Followable:
    """A page that can follow commits: what PageCache asks of tart.web.api.latest_pages."""

    def __init__(self, body):
        self.body = body
        self.followed = []

    def advanced(self, shown, committed):
        self.followed.append((shown, committed))
        return Followable(self.body + b"+")


def test_a_page_that_follows_commits_rendered_across_one_follows_from_before_it():
    listener = Listener(committed_id=7)
    cache = PageCache(listener)
    rendered = Followable(b"1")

    def render():
        listener.committed_id = 8  # committed while the page was rendered
        return rendered

    assert cache.page("/api/events?", render, 5, True) == b"1"
    assert cache.page("/api/events?", lambda: Followable(b"2"), 5, True) == b"1+"
    assert rendered.followed == [(7, 8)]


def test_a_page_of_a_subject_is_kept_until_a_commit_changes_that_subject():
    listener = Listener(committed_id=7)
    cache = PageCache(listener)

    def page(body):
        return cache.page("/api/blocks/3", lambda: body, 5, True, "s3")

    assert page(b"1") == b"1"
    listener.changes.heard("8 b0x02 s4")
    listener.committed_id = 8
    assert page(b"2") == b"1"  # other subjects' commits
    # Its changes heard (a commit's arrive after its tart_events; here before): not served,
    # and the page rendered before the commit is heard is not served either once it is.
    listener.changes.heard("9 s3")
    assert page(b"3") == b"3"
    listener.committed_id = 9
    assert page(b"4") == b"4"
    assert page(b"5") == b"4"
    listener.committed_id = None  # the listener is not connected: nothing is known
    assert page(b"6") == b"6"


def test_a_page_of_a_subject_rendered_across_a_commit_is_kept_as_of_before_it():
    listener = Listener(committed_id=7)
    cache = PageCache(listener)

    def render():
        listener.committed_id = 8  # committed while the page was rendered
        return b"1"

    cache.page("/b", render, 5, True, "s3")
    assert cache.page("/b", lambda: b"2", 5, True, "s3") == b"1"
    listener.changes.heard("8 s3")  # the page may or may not show it
    assert cache.page("/b", lambda: b"3", 5, True, "s3") == b"3"


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
