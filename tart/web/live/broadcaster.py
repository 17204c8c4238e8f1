"""A web worker's live streaming: its listener, its WebSocket clients, what it counts, and the
`stats` message it sends its /api/ws clients every few seconds.

Each gunicorn worker has its own Broadcaster (made when the worker builds the app; the listener
starts with the first client or cached page, the stats greenlet with the first client). Counts
are this worker's; the Prometheus metrics add all workers up.
"""

import contextlib
import logging
import os
import time

from prometheus_client import Counter
from simple_websocket import ConnectionClosed

from tart.db.errors import DATABASE_ERRORS
from tart.web.live.connection import (
    GOING_AWAY,
    SHUTDOWN_CLOSE_TIMEOUT,
    TRY_AGAIN_LATER,
    Connection,
)
from tart.web.live.listener import Listener
from tart.web.live.messages import message
from tart.web.metrics import broadcaster_subscribers, broadcaster_total_broadcast

log = logging.getLogger(__name__)

STATS_INTERVAL = 5.0

slow_clients_closed = Counter(
    "telemetry_broadcaster_slow_clients_closed",
    "WebSocket clients closed because TART_WS_QUEUE live events waited for them",
    registry=None,
)
clients_refused = Counter(
    "telemetry_broadcaster_clients_refused",
    "WebSocket clients refused because a worker had TART_WS_MAX_CLIENTS already",
    registry=None,
)
METRICS = (slow_clients_closed, clients_refused)


class Broadcaster:
    def __init__(self, settings, pool, supervisor):
        self.listener = Listener(settings.database_url, supervisor)
        self.supervisor = supervisor
        self.pool = pool
        self.max_clients = settings.ws_max_clients
        self.queue_limit = settings.ws_queue
        self.clients = set()
        self.stats_clients = set()  # the /api/ws clients, which get `stats` messages
        self.started = time.monotonic()
        self.total_broadcast = 0
        self.slow_closed = 0
        self.refused = 0
        self._ticker = None

    @property
    def uptime_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)

    @contextlib.contextmanager
    def client(self, ws):
        """Admit a WebSocket client for the duration of the block, or close it at once with
        1013 "server full" if this worker has TART_WS_MAX_CLIENTS already."""
        conn = Connection(ws, self.queue_limit, self._broadcast, self._slow)
        admitted = len(self.clients) < self.max_clients
        if admitted:
            self.clients.add(conn)
            broadcaster_subscribers.inc()
        else:
            self.refused += 1
            clients_refused.inc()
            conn.close(TRY_AGAIN_LATER, "server full")
        try:
            yield conn
        except ConnectionClosed:
            pass
        finally:
            if conn.subscription is not None:
                self.listener.remove(conn.subscription)
            if admitted:
                self.clients.discard(conn)
                self.stats_clients.discard(conn)
                broadcaster_subscribers.dec()
            conn.finish()

    def follow(self, conn, subscription) -> int:
        """Make `subscription` the client's, replacing any other; return where live starts."""
        self.unfollow(conn)
        conn.subscription = subscription
        return self.listener.add(subscription)

    def unfollow(self, conn) -> None:
        if conn.subscription is not None:
            self.listener.remove(conn.subscription)
            conn.subscription = None

    def close_all(self) -> None:
        """The worker is shutting down: tell every client so, rather than keep the worker."""
        for conn in list(self.clients):
            conn.close(GOING_AWAY, "server shutting down", SHUTDOWN_CLOSE_TIMEOUT)

    def stats(self) -> dict:
        """This worker's broadcaster figures (`broadcaster_stats`, `stats.broadcaster`)."""
        return {
            "worker": os.getpid(),
            "subscribers": len(self.clients),
            "total_broadcast": self.total_broadcast,
            "slow_clients_closed": self.slow_closed,
            "clients_refused": self.refused,
            "max_subscribers": self.max_clients,
            "queue_limit": self.queue_limit,
            "uptime_ms": self.uptime_ms,
        }

    def network(self) -> dict:
        """Nodes and events as the database has them. Decode errors are counted as
        /metrics counts them (telemetry_decode_errors): the ingest processes' counters."""
        known, connected, events, connected_ids, decode_errors = self.pool.query_one(
            "SELECT count(*), count(*) FILTER (WHERE is_connected),"
            " coalesce(sum(event_count), 0)::bigint,"
            " coalesce(array_agg(node_id ORDER BY node_id) FILTER (WHERE is_connected), '{}'),"
            " (SELECT coalesce(sum((counters->>'events_undecodable')::bigint), 0)::bigint"
            " FROM ingest_stats)"
            " FROM known_nodes"
        )
        return {
            "total_nodes": known,
            "connected_nodes": connected,
            "total_events": events,
            "connected_ids": connected_ids,
            "decode_errors": decode_errors,
        }

    def send_stats_to(self, conn) -> None:
        """Send `conn` a `stats` message every STATS_INTERVAL from now on (an /api/ws client,
        once it has had its `connected`)."""
        self.stats_clients.add(conn)
        if self._ticker is None:
            self._ticker = self.supervisor.loop("live stats", self._send_stats, STATS_INTERVAL)

    def _send_stats(self) -> None:
        clients = list(self.stats_clients)
        if not clients:
            return
        try:
            network = self.network()
        except DATABASE_ERRORS as error:
            log.warning("live stream: no stats this time: %s", error)
            return
        frame = message(
            "stats",
            {
                "database": {
                    key: network[key]
                    for key in (
                        "total_events",
                        "total_nodes",
                        "connected_nodes",
                        "decode_errors",
                    )
                },
                "broadcaster": self.stats(),
                "connections": {
                    "total": network["connected_nodes"],
                    "nodes": network["connected_ids"],
                },
            },
        )
        for conn in clients:
            conn.send(frame)

    def _broadcast(self, events: int) -> None:
        self.total_broadcast += events
        broadcaster_total_broadcast.inc(events)

    def _slow(self) -> None:
        self.slow_closed += 1
        slow_clients_closed.inc()
