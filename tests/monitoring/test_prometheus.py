"""The monitoring kit against a real Prometheus: Debian's, with the shipped prometheus.yml and
alerts.yml (targets rewritten, scraping and evaluating every second), scraping TART on a
PostgreSQL of the test's own, fed by `tart loadgen` with some undecodable frames and by a node
that lags behind. Every rule and panel query runs in Prometheus and finds data; the alerts
about decode errors and a lagging node go pending; then PostgreSQL is stopped and the
writer-stalled alert goes pending.
"""

import re

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tart.loadgen.frames import slot_at
from tart.loadgen.nodes import node_id
from tart.loadgen.runner import jam_now
from tests.support.db import FaultyPostgres
from tests.support.ingest import running_ingest
from tests.support.loadgen import loadgen_process
from tests.support.node import TelemetryNode, best_block
from tests.support.procs import wait_for
from tests.support.prometheus import (
    DASHBOARDS_DIR,
    METRIC,
    binary,
    dashboards,
    panel_queries,
    query,
    rules,
    running_prometheus,
)
from tests.support.web import running_web

LOADGEN_NODES = 4
# What Grafana puts in place of the dashboards' variables: all implementations, and a rate
# window of four scrapes at Prometheus' 1 s.
VARIABLES = {"$implementation": ".*", "$__rate_interval": "4s"}
# A selector: a metric name, with its label matchers if any.
SELECTOR = re.compile(METRIC.pattern + r"(?:\{[^}]*\})?")


@pytest.fixture(scope="module")
def own_pg():
    server = FaultyPostgres()
    yield server
    server.stop()


def grafana(expr: str) -> str:
    for variable, value in VARIABLES.items():
        expr = expr.replace(variable, value)
    assert "$" not in expr, expr
    return expr


def has_data(base: str, expr: str) -> bool:
    return bool(query(base, expr)["data"]["result"])


def alerts(base: str, name: str, state: str) -> list[dict]:
    found = requests.get(f"{base}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
    return [a for a in found if a["labels"]["alertname"] == name and a["state"] == state]


def exposed_names(web: str) -> set[str]:
    """Every sample name in /metrics and /metrics/nodes."""
    names = set()
    for path in ("/metrics", "/metrics/nodes"):
        text = requests.get(f"http://{web}{path}", timeout=10).text
        for family in text_string_to_metric_families(text):
            names.update(sample.name for sample in family.samples)
    return names


def test_the_kit_works_against_a_real_prometheus(own_pg, tmp_path):
    binary("prometheus")
    url = own_pg.fresh_database()
    options = ("--nodes", str(LOADGEN_NODES), "--rate", "30", "--duration", "600")
    options += ("--mix", "all", "--garbage-rate", "0.03")
    with (
        running_ingest(url) as (host, ingest_port, _),
        running_web(url, workers=2) as (web_port, _),
        loadgen_process(ingest_port, tmp_path / "summary.json", *options),
        TelemetryNode(host, ingest_port, name="laggard") as laggard,
    ):
        web = f"127.0.0.1:{web_port}"
        laggard.send(best_block(slot_at(jam_now()) - 50))
        with running_prometheus(tmp_path, web) as base:
            check_rules_and_queries(base, web)
            check_alerts_on_nodes(base, laggard.node_id)
            own_pg.halt()
            check_alerts_without_the_database(base)


def check_rules_and_queries(base, web):
    # Prometheus loaded every shipped rule and evaluates each without error.
    shipped = {rule["alert"] for rule in rules()}

    def evaluated():
        groups = requests.get(f"{base}/api/v1/rules", timeout=10).json()["data"]["groups"]
        loaded = [rule for group in groups for rule in group["rules"]]
        ok = [r for r in loaded if r["health"] == "ok" and r["lastEvaluation"][:4] != "0001"]
        assert not [r for r in loaded if r["health"] == "err"], loaded
        return {rule["name"] for rule in loaded} == shipped and len(ok) == len(shipped)

    wait_for(evaluated, "every rule evaluated", 60)
    wait_for(lambda: has_data(base, 'up{job="tart-nodes"} == 1'), "tart-nodes scraped", 30)
    wait_for(lambda: has_data(base, 'up{job="tart-backend"} == 1'), "tart-backend scraped", 30)
    wait_for(
        lambda: has_data(base, "rate(telemetry_node_decode_errors_total[4s]) > 0"),
        "decode errors counted",
        60,
    )
    # Every series a rule reads has data (the rules' conditions themselves may well be false).
    for rule in rules():
        query(base, rule["expr"])
        for match in SELECTOR.finditer(rule["expr"]):
            selector = match.group(0)
            wait_for(
                lambda selector=selector: has_data(base, selector),
                f"{rule['alert']}: {selector} has data",
                30,
            )
    # Every panel query, as Grafana sends it, returns data; and the variable's values query.
    for where, expr in panel_queries():
        wait_for(lambda expr=expr: has_data(base, grafana(expr)), f"{where}: data", 30)
    implementations = requests.get(
        f"{base}/api/v1/label/implementation/values",
        params={"match[]": "telemetry_node_connected"},
        timeout=10,
    ).json()["data"]
    assert {"tart-loadgen", "laggard"} <= set(implementations)
    # Every metric a rule or panel names is one TART exposes (or Prometheus' own `up`).
    named = {
        name
        for text in [rule["expr"] for rule in rules()] + [expr for _, expr in panel_queries()]
        for name in METRIC.findall(text)
    } - {"up"}
    assert named <= exposed_names(web), named - exposed_names(web)
    assert sorted(path.name for path in DASHBOARDS_DIR.glob("*.json")) == sorted(dashboards())
    # rate() over a count exposed gauge-typed without `_total` is a rate. Prometheus 2.48 and
    # later add an info (not a warning) about the name; the one here answers as docs say.
    answer = query(base, "rate(telemetry_events_received[10s])")
    assert float(answer["data"]["result"][0]["value"][1]) > 0
    assert "warnings" not in answer
    version = requests.get(f"{base}/api/v1/status/buildinfo", timeout=10).json()["data"]
    major, minor = (int(part) for part in version["version"].split(".")[:2])
    if (major, minor) < (2, 48):
        assert "infos" not in answer, answer
    else:
        assert any("might not be a counter" in info for info in answer["infos"]), answer


def check_alerts_on_nodes(base, laggard):
    garbage_senders = {node_id(0, index) for index in range(LOADGEN_NODES)}

    def pending(name):
        return {alert["labels"]["node_id"] for alert in alerts(base, name, "pending")}

    found = wait_for(
        lambda: pending("NodeDecodeErrorsRising") == garbage_senders and garbage_senders,
        "NodeDecodeErrorsRising pending for every node sending garbage",
        60,
    )
    assert found
    assert wait_for(lambda: pending("NodeBehind") == {laggard}, "NodeBehind pending", 60)


def check_alerts_without_the_database(base):
    # /metrics keeps answering, saying it cannot read PostgreSQL; ingest queues the events.
    assert wait_for(
        lambda: alerts(base, "TartDatabaseUnreachable", "pending"), "database alert pending", 30
    )
    # The last write was at most a second before PostgreSQL stopped: pending 30 s on.
    (alert,) = wait_for(
        lambda: alerts(base, "IngestWriterStalled", "pending"), "writer-stalled alert pending", 90
    )
    assert alert["labels"]["severity"] == "critical"
    assert float(alert["value"]) > 30
