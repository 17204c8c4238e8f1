"""Gunicorn settings for TART's web process, read from the same environment as the rest of TART."""

import logging
import os
import shutil
import signal
import tempfile
from pathlib import Path

import gevent

from tart.config import Settings
from tart.db.connect import make_green

_settings = Settings.from_env()

bind = [_settings.api_bind]
workers = _settings.web_workers
# Each worker listens on a socket of its own (SO_REUSEPORT) and the kernel spreads new
# connections over them. On one shared socket, whichever worker is awake accepts: a burst of
# keep-alive clients (a dashboard, a load balancer's pool) would all land on one worker while
# the others idle.
reuse_port = True
# gevent workers: each WebSocket subscriber and each worker's LISTEN loop is a greenlet.
worker_class = "gevent"
# Each WebSocket client holds one of a worker's connections for as long as it stays; leave room
# for the REST requests beside TART_WS_MAX_CLIENTS of them.
worker_connections = _settings.ws_max_clients + 1000
loglevel = _settings.log_level
# What a request may be; beyond these gunicorn answers 414 or 431 (in JSON: see post_fork).
# The API's longest URLs (a node id and a few parameters) are far shorter.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
# TART does not use gunicornc, and the default socket path (~/.gunicorn) would be shared by
# every gunicorn of the same user on the host, such as several test runs.
control_socket_disable = True


# Until a worker has its own signal handlers, a SIGTERM from the master would run the master's
# handler it inherited and be lost: a worker told to stop while it loads the app would then
# wait out graceful_timeout. So stop signals wait (blocked) from fork to post_worker_init.
_STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGQUIT}


def post_fork(server, worker):
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    # Before the worker loads the app and opens its first connection, so that every
    # psycopg2 call in the worker yields to other greenlets while it waits.
    make_green()


def post_request(worker, req, environ, resp):
    # A keep-alive client that sends its next request as soon as it has the last response
    # would otherwise be served again at once, ahead of requests waiting on this worker's
    # other connections (its greenlet reads without yielding when the request is already
    # there): p50 under 1 ms, p99 tens of ms. Waiting until the event loop has nothing else
    # to do first serves the connections round-robin.
    gevent.idle()


def post_worker_init(worker):
    # Imported here, as below: tart.web imports prometheus_client, which must come after
    # PROMETHEUS_MULTIPROC_DIR is set (the app is loaded by now, so this costs nothing).
    from tart.web import live, server_errors

    server_errors.install()
    # On shutdown gunicorn waits for open requests to end, which a WebSocket never does by
    # itself: the worker closes its clients (1001) as soon as it is told to stop.
    live.close_on_shutdown(worker)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


# Prometheus multiprocess mode: each worker writes its metric values to files in this directory
# and /metrics adds them all up (tart/web/metrics.py). Set here, in the master, so that every
# worker inherits it before it imports prometheus_client.
_own_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="tart-metrics-")


class _ListeningAt(logging.Filter):
    """With reuse_port the master holds no socket (each worker binds its own), so gunicorn's
    "Listening at: %s (%s)" would name no address; this fills in the addresses bound."""

    def __init__(self, addresses):
        super().__init__()
        self.addresses = addresses

    def filter(self, record):
        if record.msg == "Listening at: %s (%s)" and record.args and not record.args[0]:
            record.args = (self.addresses, *record.args[1:])
        return True


def on_starting(server):
    # server.cfg.bind, not API_BIND: a --bind on the command line wins.
    addresses = ",".join(f"http://{address}" for address in server.cfg.bind)
    logging.getLogger("gunicorn.error").addFilter(_ListeningAt(addresses))
    # Values an earlier run left in a directory the operator chose would be added in.
    for stale in Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    # Imported only now, long after PROMETHEUS_MULTIPROC_DIR was set.
    from prometheus_client import multiprocess

    # A dead worker's gauges (WebSocket subscribers, open connections) stop counting.
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
