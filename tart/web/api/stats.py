"""GET /api/stats: network-wide figures, cached for 5 seconds in each web worker.

The cache is per worker (not shared), so two requests answered by different workers within
5 seconds may differ by what arrived in between. Only one request per worker computes the
figures when the cache has expired; the others arriving meanwhile wait for its result.
"""

import time

import gevent.lock
from flask import Blueprint, current_app

from tart.protocol import discriminator
from tart.web.db import pool

blueprint = Blueprint("stats", __name__, url_prefix="/api")

TTL_SECONDS = 5.0
AUTHORED = discriminator("Authored")


class Cached:
    """A value recomputed at most once per TTL, by one caller at a time."""

    def __init__(self, compute, ttl: float):
        self._compute = compute
        self._ttl = ttl
        self._lock = gevent.lock.Semaphore()
        self._value = None
        self._expires = 0.0

    def get(self):
        if time.monotonic() < self._expires:
            return self._value
        with self._lock:
            if time.monotonic() >= self._expires:
                self._value = self._compute()
                self._expires = time.monotonic() + self._ttl
            return self._value


@blueprint.record_once
def _make_cache(state):
    state.app.extensions["tart_stats"] = Cached(compute_stats, TTL_SECONDS)


@blueprint.get("/stats")
def network_stats():
    return current_app.extensions["tart_stats"].get()


def compute_stats() -> dict:
    # Counting Authored events is an index-only scan of events (event_type, id DESC).
    authored, best, finalized, total_nodes, connected, total_events = pool().prepared_one(
        "SELECT (SELECT count(*) FROM events WHERE event_type = $1), "
        "max(best_slot), max(finalized_slot), count(*), count(*) FILTER (WHERE is_connected), "
        "coalesce(sum(event_count), 0) FROM known_nodes",
        (AUTHORED,),
    )
    return {
        "total_blocks_authored": authored,
        "best_block": best,
        "finalized_block": finalized,
        "total_nodes": total_nodes,
        "connected_nodes": connected,
        "total_events": int(total_events),
    }
