"""API pages kept in each web worker for a moment, event pages until the next commit.

Dashboards and scripts poll the same few pages (the latest events, a node's latest events, the
node list) far more often than a network commits batches of events. A page of events depends
only on what has been committed: writers commit in id order and announce each batch with a
NOTIFY that the worker's listener (tart.web.live.listener) hears, so while its `committed_id`
has not moved, a page of events rendered since is still the page, and it is served again from
memory. It is kept for at most a few seconds even so, for what no NOTIFY announces: a node's new
name or version, old days dropped by retention. After a commit such a page can be served for as
long as the notification takes to reach the worker (well under a millisecond on one host), as
if the request had come that much earlier.

Node pages change with every batch (counters) and with connections opening and closing, which
no NOTIFY announces: they are kept for a fixed lifetime instead, about as long as node counters
trail the events anyway.

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
from flask import current_app, request
from prometheus_client import Counter

from tart.web import metrics

# Pages kept by a worker, in bytes of JSON; beyond it the oldest go first.
MAX_BYTES = 32 * 1024 * 1024

pages = Counter(
    "telemetry_api_pages",
    "Cacheable API pages answered, by how: kept (from "
    "memory), shared (another request's rendering) or rendered",
    ["how"],
    registry=None,
)
KEPT, SHARED, RENDERED = (pages.labels(how) for how in ("kept", "shared", "rendered"))


class PageCache:
    def __init__(self, listener):
        self._listener = listener
        # path with query -> (expires, the commit it shows or None, JSON)
        self._pages = OrderedDict()
        self._bytes = 0
        self._rendering = {}  # (path with query, commit or None) -> AsyncResult of its JSON

    def page(self, key: str, render, lifetime: float, until_commit: bool) -> bytes:
        """The JSON of page `key`: kept, being rendered for another request, or rendered now
        by `render` (which returns it) and kept for at most `lifetime` seconds, and with
        `until_commit` only until the next commit."""
        # Read before rendering: the page then shows at least every event up to this id.
        committed_id = self._listener.committed_id
        if committed_id is None:
            self._listener.start()
            if until_commit:
                RENDERED.inc()
                return render()
        shows = committed_id if until_commit else None
        kept = self._pages.get(key)
        if kept is not None and kept[0] > time.monotonic() and kept[1] == shows:
            KEPT.inc()
            return kept[2]
        pending = self._rendering.get((key, shows))
        if pending is not None:
            SHARED.inc()
            return pending.get()
        pending = self._rendering[key, shows] = gevent.event.AsyncResult()
        RENDERED.inc()
        try:
            body = render()
        except BaseException as error:
            pending.set_exception(error)
            raise
        finally:
            del self._rendering[key, shows]
        pending.set(body)
        # A page rendered across a commit may or may not show it: not kept.
        if not until_commit or self._listener.committed_id == committed_id:
            self._keep(key, shows, body, lifetime)
        return body

    def _keep(self, key, shows, body, lifetime):
        replaced = self._pages.pop(key, None)
        if replaced is not None:
            self._bytes -= len(replaced[2])
        # Pages first rendered together would otherwise expire together, every lifetime, and
        # their renderings queue up the requests arriving meanwhile.
        expires = time.monotonic() + lifetime * random.uniform(0.5, 1.0)
        self._pages[key] = (expires, shows, body)
        self._bytes += len(body)
        while self._bytes > MAX_BYTES:
            self._bytes -= len(self._pages.popitem(last=False)[1][2])


def init_app(app) -> None:
    """Keep pages; after tart.web.live, whose listener says when events were committed."""
    app.extensions["tart_pages"] = PageCache(app.extensions["tart_live"].listener)
    metrics.register(app, pages)


def kept(lifetime: float, until_commit: bool = True):
    """Serve the view's JSON from the worker's PageCache, by path and query string, keeping
    each page for at most `lifetime` seconds and, with `until_commit`, only until the next
    commit."""

    def decorate(view):
        @functools.wraps(view)
        def serve(*args, **kwargs):
            body = current_app.extensions["tart_pages"].page(
                request.full_path,
                lambda: orjson.dumps(view(*args, **kwargs)),
                lifetime,
                until_commit,
            )
            return current_app.response_class(body, mimetype="application/json")

        return serve

    return decorate
