"""The web process as deployed: gunicorn with gevent workers serving wsgi:app."""

import contextlib

from tests.support.procs import BIN, free_port, running, wait_for_http


@contextlib.contextmanager
def running_web(database_url, workers=2, **env):
    """gunicorn with `workers` gevent workers; yield (port, process). ``env``: overrides
    (values converted to strings; None removes a variable)."""
    port = free_port()
    environ = {
        "DATABASE_URL": database_url,
        "API_BIND": f"127.0.0.1:{port}",
        "TART_WEB_WORKERS": str(workers),
        "TART_LOG_LEVEL": "warning",
    }
    environ.update({name: None if value is None else str(value) for name, value in env.items()})
    with running([BIN / "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], environ) as web:
        wait_for_http(f"http://127.0.0.1:{port}/api/health", process=web)
        yield port, web
