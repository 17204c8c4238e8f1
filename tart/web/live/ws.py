"""The two WebSocket endpoints.

WS /api/ws speaks the seed README's protocol: the server says `connected`, then sends `event`
messages for the client's subscription (every event until it subscribes otherwise, as the Rust
TART does) and `stats` every 5 s; the client may Subscribe (with a filter, `since_id` to resume,
and `batch` to take events as `events` messages of many at a time), Unsubscribe,
GetRecentEvents and Ping. Anything else it sends gets an `error` message and the connection
stays open.

WS /api/events/stream sends bare event objects, filtered by its query parameters.
"""

import orjson
from flask import Blueprint, current_app, request
from flask_sock import Sock

from tart.db.errors import DATABASE_ERRORS
from tart.web import filters
from tart.web.live import history
from tart.web.live.connection import POLICY_VIOLATION
from tart.web.live.listener import LiveUnavailable
from tart.web.live.messages import error, message
from tart.web.live.subscriptions import (
    ALL,
    FilterError,
    Subscription,
    parse_filter,
    parse_query,
)

live = Blueprint("live", __name__, url_prefix="/api")
sock = Sock()

NORMAL_CLOSURE = 1000
INTERNAL_ERROR = 1011
RECENT_DEFAULT = 50
UNAVAILABLE = (LiveUnavailable, *DATABASE_ERRORS)


@sock.route("/ws", bp=live)
def ws(ws):
    broadcaster = current_app.extensions["tart_live"]
    with broadcaster.client(ws) as conn:
        session = Session(conn, broadcaster)
        if not conn.closing:
            session.start()
        for text in conn.messages():
            session.handle(text)


@sock.route("/events/stream", bp=live)
def events_stream(ws):
    broadcaster = current_app.extensions["tart_live"]
    with broadcaster.client(ws) as conn:
        if not conn.closing:
            try:
                filter, since = parse_query(request.args)
            except FilterError as problem:
                conn.close(POLICY_VIOLATION, str(problem))
            else:
                stream(conn, broadcaster, filter, since)
        for _ in conn.messages():
            pass  # this endpoint expects nothing from the client; read until it goes


def stream(conn, broadcaster, filter, since):
    subscription = Subscription(filter, conn.outbox, "plain", replaying=since is not None)
    try:
        live_from = broadcaster.follow(conn, subscription)
        if since is None:
            return
        result = history.replay(conn, broadcaster.pool, subscription, since, live_from)
    except UNAVAILABLE:
        conn.close(INTERNAL_ERROR, "database unavailable")
        return
    if not result.complete:
        # A bare stream has no message to say so: the client resumes from where it got to.
        conn.close(
            NORMAL_CLOSURE,
            f"replay limit of {history.REPLAY_LIMIT} events reached: "
            f"reconnect with since_id={result.last_id}",
        )
        return
    subscription.go_live(result.last_id)


class Session:
    """One /api/ws client's side of the conversation."""

    def __init__(self, conn, broadcaster):
        self.conn = conn
        self.broadcaster = broadcaster
        self.handlers = {
            "Subscribe": self.subscribe,
            "Unsubscribe": self.unsubscribe,
            "GetRecentEvents": self.get_recent_events,
            "Ping": self.ping,
        }

    def start(self):
        try:
            network = self.broadcaster.network()
            # Following first: every event stored after the client reads `connected` reaches
            # it (the listener may still be connecting). Nothing yields between the two, so
            # `connected` is queued before any event.
            self.follow(ALL, None, batch=False)
            self.conn.send(
                message(
                    "connected",
                    {
                        "message": "Connected to TART telemetry (1024-node scale)",
                        # How many stored events GetRecentEvents can return.
                        "recent_events": min(network["total_events"], filters.MAX_LIMIT),
                        "total_nodes": network["connected_nodes"],
                        "broadcaster_stats": self.broadcaster.stats(),
                    },
                )
            )
            self.broadcaster.send_stats_to(self.conn)
        except UNAVAILABLE:
            self.conn.close(INTERNAL_ERROR, "database unavailable")

    def handle(self, text):
        try:
            request = orjson.loads(text)
        except orjson.JSONDecodeError as problem:
            self.conn.send(error(f"malformed JSON: {problem}"))
            return
        kind = request.get("type") if isinstance(request, dict) else None
        handler = self.handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            problem = (
                f"unknown message type {kind!r}"
                if isinstance(kind, str)
                else 'a message must be a JSON object with a "type"'
            )
            self.conn.send(error(f"{problem}; the types are {', '.join(self.handlers)}"))
            return
        try:
            handler(request)
        except FilterError as problem:
            self.conn.send(error(str(problem)))
        except UNAVAILABLE:
            self.conn.send(error(f"{kind} failed: the database is unavailable"))

    def subscribe(self, request):
        filter = parse_filter(request.get("filter"))
        since = request.get("since_id")
        since = None if since is None else filters.item_id(since, "since_id")
        batch = request.get("batch", False)
        if type(batch) is not bool:
            raise FilterError("batch must be true or false")
        acknowledgement = {"filter": filter.spec, "message": "Subscription updated"}
        if since is not None:
            acknowledgement["since_id"] = since
        if batch:
            acknowledgement["batch"] = True
        self.conn.send(message("subscribed", acknowledgement))
        self.follow(filter, since, batch)

    def unsubscribe(self, request):
        self.broadcaster.unfollow(self.conn)
        self.conn.send(message("unsubscribed", {"message": "No events until the next Subscribe"}))

    def get_recent_events(self, request):
        limit = request.get("limit", RECENT_DEFAULT)
        if type(limit) is not int:  # a JSON number; out of range it is clamped, as on REST
            raise FilterError(filters.LIMIT_RULE, "limit", limit)
        events = history.recent(self.broadcaster.pool, filters.limit(limit))
        self.conn.send(
            message(
                "recent_events",
                {"count": len(events), "events": [event.as_json() for event in events]},
            )
        )

    def ping(self, request):
        self.conn.send(
            message(
                "pong",
                {
                    "events_received": self.conn.outbox.events,
                    "uptime_ms": self.broadcaster.uptime_ms,
                },
            )
        )

    def follow(self, filter, since, batch):
        subscription = Subscription(
            filter, self.conn.outbox, "batch" if batch else "message", replaying=since is not None
        )
        live_from = self.broadcaster.follow(self.conn, subscription)
        if since is None:
            return
        try:
            result = history.replay(
                self.conn, self.broadcaster.pool, subscription, since, live_from
            )
        except UNAVAILABLE:
            self.broadcaster.unfollow(self.conn)
            raise
        self.conn.send(message("replayed", replayed(result, filter)))
        subscription.go_live(result.last_id)


def replayed(result, filter) -> dict:
    """The `replayed` message: what the replay sent, and what is left to the REST API."""
    data = {
        "since_id": result.since_id,
        "events": result.events,
        "last_id": result.last_id,
        "complete": result.complete,
    }
    if not result.complete:
        query = f"since_id={result.last_id}"
        if filter.node_id is not None:
            query += f"&node_id={filter.node_id}"
        if filter.event_types is not None:
            query += "&event_type=" + ",".join(map(str, sorted(filter.event_types)))
        data["missing"] = {
            "after_id": result.last_id,
            "through_id": result.live_from,
            "rest": f"/api/events?{query}",
        }
    return data
