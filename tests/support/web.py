"""The web process as deployed: gunicorn with gevent workers serving wsgi:app."""

import contextlib

import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.support.procs import BIN, free_port, running, wait_for_http


@contextlib.contextmanager
def running_web(database_url, workers=2, port=None, **env):
    """gunicorn with `workers` gevent workers on `port` (a free one by default: a test that
    restarts the web process passes the first one's); yield (port, process). ``env``:
    overrides (values converted to strings; None removes a variable)."""
    port = port or free_port()
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


@contextlib.contextmanager
def web_base(database_url, **env):
    """running_web with two workers and PostgreSQL metrics files of its own, yielding its base
    URL (http://127.0.0.1:PORT)."""
    env.setdefault("PROMETHEUS_MULTIPROC_DIR", None)
    with running_web(database_url, **env) as (port, _):
        yield f"http://127.0.0.1:{port}"


def metric(port, name) -> float:
    """The value of the unlabelled sample `name` in /metrics."""
    for line in requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    raise AssertionError(f"{name} is not in /metrics")


def scrape(base) -> dict:
    """/metrics of `base` as {(name, labels): value}, samples of all workers added up."""
    response = requests.get(f"{base}/metrics", timeout=10)
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            samples[key] = samples.get(key, 0) + sample.value
    return samples
