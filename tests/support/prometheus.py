"""Debian's Prometheus and promtool for tests of the monitoring kit (deploy/prometheus,
deploy/grafana), and reading what the kit's files name.

CI (`.ci/run`, with CI set) installs the `prometheus` package, so there a missing binary fails
the test; elsewhere the test is skipped with how to get it.
"""

import contextlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import requests
import yaml

from tests.support.procs import REPO, free_port, running, wait_for_http

PROMETHEUS_DIR = REPO / "deploy" / "prometheus"
DASHBOARDS_DIR = REPO / "deploy" / "grafana" / "dashboards"
# Metric names as the kit's queries spell them: TART's, the HTTP exporter's, Prometheus' `up`.
METRIC = re.compile(r"\b(?:telemetry_[a-z_]+|flask_[a-z_]+|up)\b")


def binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed: `apt-get install prometheus` (as .ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def promtool(*args: str, cwd: Path = PROMETHEUS_DIR) -> str:
    """Run promtool; its output, or the test fails with it."""
    result = subprocess.run(
        [binary("promtool"), *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def rules() -> list[dict]:
    """Every rule of deploy/prometheus/alerts.yml."""
    groups = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def dashboards() -> dict[str, dict]:
    return {path.name: json.loads(path.read_text()) for path in DASHBOARDS_DIR.glob("*.json")}


def panels(dashboard: dict) -> list[dict]:
    """The dashboard's panels other than rows (which hold none: every row is expanded)."""
    return [panel for panel in dashboard["panels"] if panel["type"] != "row"]


def panel_queries() -> list[tuple[str, str]]:
    """(where, expr) of every query of every panel of every dashboard."""
    return [
        (f"{name}: {panel['title']} {target['refId']}", target["expr"])
        for name, dashboard in dashboards().items()
        for panel in panels(dashboard)
        for target in panel["targets"]
    ]


@contextlib.contextmanager
def running_prometheus(tmp_path: Path, web: str, scrape_interval: str = "1s"):
    """The shipped prometheus.yml and alerts.yml, scraping `web` (HOST:PORT) and evaluating
    every `scrape_interval`; yield the base URL of Prometheus' HTTP API."""
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    config["global"].update(
        scrape_interval=scrape_interval,
        scrape_timeout=scrape_interval,
        evaluation_interval=scrape_interval,
    )
    config["rule_files"] = [str(PROMETHEUS_DIR / name) for name in config["rule_files"]]
    for job in config["scrape_configs"]:
        for static in job["static_configs"]:
            static["targets"] = [web]
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    promtool("check", "config", str(path))
    port = free_port()
    command = [
        binary("prometheus"),
        f"--config.file={path}",
        f"--storage.tsdb.path={tmp_path / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    with running(command, cwd=tmp_path, stop_timeout=10) as process:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/-/ready", process=process)
        yield base


def query(base: str, expr: str) -> dict:
    """An instant query's whole answer, which must be a success."""
    response = requests.get(f"{base}/api/v1/query", params={"query": expr}, timeout=10)
    answer = response.json()
    assert response.status_code == 200 and answer["status"] == "success", (expr, answer)
    return answer
