"""bench/api.py's HTTP load (bench/api_load.py) against the real gunicorn: counts, not timing."""

import importlib.util

import pytest

from tests.support.procs import REPO
from tests.support.web import running_web

pytestmark = pytest.mark.bench


def load_api_load():
    spec = importlib.util.spec_from_file_location("api_load", REPO / "bench" / "api_load.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_load_counts_answers_and_errors(database_url):
    api_load = load_api_load()
    with running_web(database_url, workers=2, PROMETHEUS_MULTIPROC_DIR=None) as (port, _):
        health = api_load.run(port, ["/api/health"], clients=4, seconds=0.5)
        # Half the paths answer 404: every one of those is an error.
        mixed = api_load.run(port, ["/api/health", "/api/no-such-endpoint"], clients=4, seconds=0.5)
        # Prometheus text is not JSON: an error unless the bodies are not checked as JSON.
        metrics = api_load.run(port, ["/metrics"], clients=2, seconds=0.5, check_json=False)
        not_json = api_load.run(port, ["/metrics"], clients=2, seconds=0.5)
    assert health["requests"] > 50 and health["errors"] == 0
    assert 0 < health["p50_ms"] <= health["p99_ms"] <= health["max_ms"]
    assert health["requests_per_second"] > 0
    assert abs(mixed["errors"] - mixed["requests"] / 2) <= 4
    # Each process's first answer is one it would have parsed as JSON, had it been asked to.
    assert metrics["requests"] >= api_load.PROCESSES and metrics["errors"] == 0
    # Each of the load's processes checks its first body and one in JSON_SAMPLE after it.
    checked_at_most = not_json["requests"] // api_load.JSON_SAMPLE + api_load.PROCESSES
    assert 0 < not_json["errors"] <= checked_at_most
