"""API pages kept in each web worker for a moment, event pages until the next commit.

Dashboards and scripts poll the same few pages (the latest events, a node's latest events, the
node list) far more often than a network commits batches of events. A page of events depends
only on what has been committed: writers commit in id order and announce each batch with a
NOTIFY that the worker's listener (tart.web.live.listener) hears, so while its `committed_id`
has not moved, a page of events rendered since is still the page, and it is served again from
memory. It is kept for at most a few seconds even so, for what no NOTIFY announces: a node's new
name or version, old days dropped by retention. After a commit such a page can be served for as
long as the notification takes to reach the worker (well under a millisecond on one host), as
if the request had come that much earlier. A page of the newest events behind the last commit
follows it rather than being rendered again (tart.web.api.latest_pages).

Node pages change with every batch (counters) and with connections opening and closing, which
no NOTIFY announces: they are kept for a fixed lifetime instead, about as long as node counters
trail the events anyway. Such a page asked for in the last quarter of its lifetime is rendered
again in the background while the kept one is served: a page in demand is never older than its
lifetime, and no request waits for its rendering (an analytics answer can take a good part of a
second) but the first.

A page of one block or one work-package is kept until a commit changes *that* subject rather
than until any commit: the listener hears from PostgreSQL which subjects each commit changed
(tart.web.live.changes) and the id of that commit; the page is served while the last commit
that changed its subject is one it shows (it shows every event up to the `committed_id` read
before it was rendered), and for at most its lifetime, for what no commit announces (sessions
opening, a node's new implementation name). So a network committing ten batches a second does
not have every old block's page rendered again ten times a second. Like a node page, such a page
asked for late in its lifetime is rendered again in the background.

Pages are rendered once however many clients ask at once: the first renders, the others wait
for its answer. While the listener is not connected no commit is heard, so event pages are
rendered for every request; node pages are kept as ever.
"""

import functools
import random
import time
from collections import OrderedDict

import gevent.event
import orjson
from flask import copy_current_request_context, current_app, has_request_context, request
from prometheus_client import Counter

from tart.web import metrics

# Pages kept by a worker, in bytes of JSON; beyond it the oldest go first.
MAX_BYTES = 32 * 1024 * 1024

pages = Counter(
    "telemetry_api_pages",
    "Cacheable API pages answered, by how: kept (from memory), shared (another request's "
    "rendering), followed (a kept page brought up to the last commit) or rendered",
    ["how"],
    registry=None,
)
KEPT, SHARED, FOLLOWED, RENDERED = (
    pages.labels(how) for how in ("kept", "shared", "followed", "rendered")
)


class PageCache:
    def __init__(self, listener):
        self._listener = listener
        # path with query -> (expires, the commit it shows or None, page, its size, renew at)
        self._pages = OrderedDict()
        self._bytes = 0
        self._rendering = {}  # (path with query, commit or None) -> AsyncResult of its JSON

    def page(
        self, key: str, render, lifetime: float, until_commit: bool, subject: str | None = None
    ) -> bytes:
        """The JSON of page `key`: kept, being rendered for another request, or rendered now
        by `render` and kept for at most `lifetime` seconds, and with `until_commit` only until
        the next commit, or with a `subject` too only until the next commit that changes it.
        `render` returns the JSON, or a page that can follow commits (with `body` and
        `advanced(shown_id, committed_id)`, tart.web.api.latest_pages)."""
        # Read before rendering: the page then shows at least every event up to this id.
        committed_id = self._listener.committed_id
        if committed_id is None:
            self._listener.start()
            if until_commit:
                RENDERED.inc()
                return _body(render())
        shows = committed_id if until_commit else None
        kept = self._pages.get(key)
        now = time.monotonic()
        if kept is not None and kept[0] <= now:
            kept = None
        if kept is not None and self._current(kept[1], shows, subject):
            KEPT.inc()
            renewable = not until_commit or subject is not None
            if renewable and now >= kept[4] and (key, None) not in self._rendering:
                self._renew(key, render, lifetime, shows)
            return _body(kept[2])
        pending = self._rendering.get((key, shows))
        if pending is not None:
            SHARED.inc()
            return pending.get()
        pending = self._rendering[key, shows] = gevent.event.AsyncResult()
        try:
            page = None
            if kept is not None and until_commit and hasattr(kept[2], "advanced"):
                page = kept[2].advanced(kept[1], committed_id)
            followed = page is not None
            (FOLLOWED if followed else RENDERED).inc()
            if not followed:
                page = render()
            body = _body(page)
        except BaseException as error:
            pending.set_exception(error)
            raise
        finally:
            del self._rendering[key, shows]
        pending.set(body)
        # A page rendered across a commit may or may not show it: not kept, unless the changes
        # heard of its subject tell, or it can follow commits (kept as of before the commit, it
        # follows from there and skips the events it already shows).
        if (
            not until_commit
            or subject is not None
            or hasattr(page, "advanced")
            or self._listener.committed_id == committed_id
        ):
            # A followed page keeps the time it was rendered: what no commit announces shows
            # as soon as it would have without following.
            expires = kept[0] if followed else None
            self._keep(key, shows, page, len(body), lifetime, expires)
        return body

    def _current(self, kept_shows, shows, subject) -> bool:
        """Whether a kept page that shows the events up to `kept_shows` is still the page."""
        if subject is None:
            return kept_shows == shows
        return self._listener.changes.last(subject) <= kept_shows

    def _renew(self, key, render, lifetime, shows):
        """Render page `key` again in a greenlet of its own, keeping it when done as a page
        that `shows` the events up to that id (None: any); meanwhile requests are answered
        the kept page."""
        pending = self._rendering[key, None] = gevent.event.AsyncResult()
        RENDERED.inc()
        if has_request_context():
            # The view reads its request after that request is answered. Only the renewal
            # takes the request's context along: a view's error in a copied context would be
            # torn down as an unhandled one, and the 400 counted as a 500 in the metrics.
            render = copy_current_request_context(render)

        def run():
            try:
                page = render()
                body = _body(page)
            except BaseException as error:
                # Nobody waits for it; the next request after the page expires renders it.
                pending.set_exception(error)
                return
            finally:
                del self._rendering[key, None]
            pending.set(body)
            self._keep(key, shows, page, len(body), lifetime, None)

        gevent.spawn(run)

    def _keep(self, key, shows, page, size, lifetime, expires):
        replaced = self._pages.pop(key, None)
        if replaced is not None:
            self._bytes -= replaced[3]
        if expires is None:
            # Pages first rendered together would otherwise expire together, every lifetime,
            # and their renderings queue up the requests arriving meanwhile.
            expires = time.monotonic() + lifetime * random.uniform(0.75, 1.0)
        self._pages[key] = (expires, shows, page, size, expires - lifetime / 4)
        self._bytes += size
        while self._bytes > MAX_BYTES:
            self._bytes -= self._pages.popitem(last=False)[1][3]


def _body(page) -> bytes:
    return page if isinstance(page, bytes) else page.body


def init_app(app) -> None:
    """Keep pages; after tart.web.live, whose listener says when events were committed."""
    app.extensions["tart_pages"] = PageCache(app.extensions["tart_live"].listener)
    metrics.register(app, pages)


def kept(lifetime: float, until_commit: bool = True, subject=None, key=None):
    """Serve the view's JSON from the worker's PageCache, by path and query string (or by
    `key()`, for views whose different query strings can ask for the same page), keeping
    each page for at most `lifetime` seconds and, with `until_commit`, only until the next
    commit, or with `subject` (the view's arguments -> a subject of tart.web.live.changes)
    until the next commit that changes the page's subject."""

    def decorate(view):
        @functools.wraps(view)
        def serve(*args, **kwargs):
            about = None if subject is None else subject(*args, **kwargs)

            def render():
                return _json(view(*args, **kwargs))

            body = current_app.extensions["tart_pages"].page(
                request.full_path if key is None else key(),
                render,
                lifetime,
                until_commit,
                about,
            )
            return current_app.response_class(body, mimetype="application/json")

        return serve

    return decorate


def _json(value):
    """A view's answer as the cache takes it: a page that follows commits, or JSON."""
    return value if hasattr(value, "advanced") else orjson.dumps(value)
