"""Gunicorn settings for TART's web process, read from the same environment as the rest of TART."""

from tart.config import Settings
from tart.db.connect import make_green

_settings = Settings.from_env()

bind = [_settings.api_bind]
workers = _settings.web_workers
# gevent workers: each WebSocket subscriber and each worker's LISTEN loop is a greenlet.
worker_class = "gevent"
loglevel = _settings.log_level
# TART does not use gunicornc, and the default socket path (~/.gunicorn) would be shared by
# every gunicorn of the same user on the host, such as several test runs.
control_socket_disable = True


def post_fork(server, worker):
    # Before the worker loads the app and opens its first connection, so that every
    # psycopg2 call in the worker yields to other greenlets while it waits.
    make_green()


# Prometheus multiprocess metrics (PROMETHEUS_MULTIPROC_DIR and the child_exit hook) go here.
