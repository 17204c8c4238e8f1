"""Live streaming: WS /api/ws and WS /api/events/stream.

    ingest writer --NOTIFY tart_events--> listener (one per web worker) --> subscriptions
        --> each client's outbox --> its sender greenlet --> the client

listener: LISTEN, fetch each new id range once, dispatch by filter. subscriptions: filters,
outboxes, subscriptions. history: replay after since_id, recent events. connection: one client's
writes and close. broadcaster: a worker's clients, counts and stats. ws: the endpoints.
messages: what the server sends.
"""

from flask import request
from werkzeug.routing import WebsocketMismatch

from tart.web.errors import error_response
from tart.web.live.broadcaster import METRICS, Broadcaster
from tart.web.live.ws import live

# Idle clients are pinged this often and closed if they did not answer the previous ping.
PING_INTERVAL = 25
# Client messages are small JSON objects; anything bigger is refused (close code 1009).
MAX_MESSAGE = 64 * 1024


def init_app(app) -> None:
    """Serve the WebSocket endpoints; after tart.web.db and tart.web.metrics."""
    app.extensions["tart_live"] = Broadcaster(
        app.config["TART_SETTINGS"], app.extensions["tart_db"], app.extensions["tart_supervisor"]
    )
    app.config.setdefault(
        "SOCK_SERVER_OPTIONS", {"ping_interval": PING_INTERVAL, "max_message_size": MAX_MESSAGE}
    )
    for metric in METRICS:
        app.extensions["tart_metrics"].register(metric)
    app.register_blueprint(live)
    app.register_error_handler(WebsocketMismatch, _websocket_mismatch)


def _websocket_mismatch(error):
    """A plain request to a WebSocket endpoint, or a WebSocket upgrade to a REST one."""
    if request.headers.get("Upgrade", "").lower() == "websocket":
        return error_response(
            400,
            f"{request.path} is not a WebSocket endpoint; those are /api/ws and /api/events/stream",
        )
    return error_response(
        400,
        f"{request.path} is a WebSocket endpoint: connect with a "
        f"WebSocket client (Upgrade: websocket)",
    )


def close_on_shutdown(worker) -> None:
    """When gunicorn `worker` starts shutting down, close its WebSocket clients with 1001.

    gunicorn waits up to graceful_timeout for open requests to end, and a WebSocket never
    would by itself. Called from gunicorn.conf.py's post_worker_init. Closing a client twice
    does nothing, so the check runs on until the worker exits, and closes any client that
    connects meanwhile too.
    """
    broadcaster = worker.wsgi.extensions["tart_live"]

    def step():
        if not worker.alive:
            broadcaster.close_all()

    worker.wsgi.extensions["tart_supervisor"].loop("shutdown watch", step, 1.0)
