"""Event pages kept in each web worker until the next batch of events is committed.

Dashboards and scripts poll the same few pages (the latest events, a node's latest events) far
more often than a network commits batches. A page depends on the events committed so far and
on the nodes' names and versions. Writers commit in id order and announce each commit with a
NOTIFY that the worker's listener (tart.web.live.listener) hears, so while its `committed_id`
has not moved, a page rendered since is still the page: it is served again from memory.

A page is kept for at most TTL_SECONDS even without a commit, for the changes no NOTIFY
announces: a node's new name or version, and old days dropped by retention. After a commit a
page can be served for as long as the notification takes to reach the worker (well under a
millisecond on one host), as if the request had come that much earlier.

Pages are rendered once per commit however many clients ask at once: the first renders, the
others wait for its answer. While the listener is not connected, every page is rendered.
"""

import functools
import time
from collections import OrderedDict

import gevent.event
import orjson
from flask import current_app, request

TTL_SECONDS = 5.0
# Pages kept by a worker, in bytes of JSON; beyond it the oldest go first.
MAX_BYTES = 32 * 1024 * 1024


class PageCache:
    def __init__(self, listener):
        self._listener = listener
        self._committed_id = None  # the commit the kept pages show
        self._pages = OrderedDict()  # path with query -> (expires, JSON)
        self._bytes = 0
        self._rendering = {}  # (path with query, committed id) -> AsyncResult of its JSON

    def page(self, key: str, render) -> bytes:
        """The JSON of page `key`: kept, being rendered for another request, or rendered now
        by `render` (which returns it)."""
        # Read before rendering: the page then shows at least every event up to this id.
        committed_id = self._listener.committed_id
        if committed_id is None:
            self._listener.start()
            return render()
        if committed_id != self._committed_id:
            self._pages.clear()
            self._bytes = 0
            self._committed_id = committed_id
        kept = self._pages.get(key)
        if kept is not None and kept[0] > time.monotonic():
            return kept[1]
        pending = self._rendering.get((key, committed_id))
        if pending is not None:
            return pending.get()
        pending = self._rendering[key, committed_id] = gevent.event.AsyncResult()
        try:
            body = render()
        except BaseException as error:
            pending.set_exception(error)
            raise
        finally:
            del self._rendering[key, committed_id]
        pending.set(body)
        # A page rendered across a commit may or may not show it: not kept.
        if self._listener.committed_id == committed_id == self._committed_id:
            self._keep(key, body)
        return body

    def _keep(self, key, body):
        replaced = self._pages.pop(key, None)
        if replaced is not None:
            self._bytes -= len(replaced[1])
        self._pages[key] = (time.monotonic() + TTL_SECONDS, body)
        self._bytes += len(body)
        while self._bytes > MAX_BYTES:
            self._bytes -= len(self._pages.popitem(last=False)[1][1])


def init_app(app) -> None:
    """Keep event pages; after tart.web.live, whose listener says when events were committed."""
    app.extensions["tart_event_pages"] = PageCache(app.extensions["tart_live"].listener)


def cached(view):
    """Serve the view's JSON from the worker's PageCache, by path and query string."""

    @functools.wraps(view)
    def serve(*args, **kwargs):
        body = current_app.extensions["tart_event_pages"].page(
            request.full_path, lambda: orjson.dumps(view(*args, **kwargs)))
        return current_app.response_class(body, mimetype="application/json")

    return serve
