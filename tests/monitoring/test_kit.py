"""The monitoring kit's files as Prometheus, Grafana and docker compose read them."""

import re
from pathlib import Path

import yaml

from tests.support.procs import REPO
from tests.support.prometheus import (
    METRIC,
    PROMETHEUS_DIR,
    dashboards,
    panel_queries,
    panels,
    promtool,
    rules,
)


def test_promtool_accepts_the_config_and_the_rules():
    assert "SUCCESS" in promtool("check", "config", "prometheus.yml")
    assert "SUCCESS: 13 rules found" in promtool("check", "rules", "alerts.yml")


def test_every_alert_fires_on_what_it_is_about_and_not_short_of_it():
    output = promtool("test", "rules", "alerts.test.yml")
    assert "SUCCESS" in output
    tested = set(re.findall(r"alertname: (\w+)", (PROMETHEUS_DIR / "alerts.test.yml").read_text()))
    assert tested == {rule["alert"] for rule in rules()}


def test_the_seed_alerts_keep_their_names_and_write_latency_is_in_seconds():
    by_name = {rule["alert"]: rule for rule in rules()}
    seed = {"HighConnectionCount", "HighEventDropRate", "DatabaseWriteSlow", "TartBackendDown"}
    assert seed <= set(by_name)
    slow = by_name["DatabaseWriteSlow"]["expr"]
    assert "rate(telemetry_batch_write_duration_bucket[" in slow
    assert slow.endswith("> 0.1")
    for rule in by_name.values():
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]


def test_dashboards_are_well_formed_and_take_prometheus_from_their_variable():
    found = dashboards()
    assert set(found) == {"tart.json", "network.json"}
    assert len({dashboard["uid"] for dashboard in found.values()}) == 2
    for name, dashboard in found.items():
        variables = {variable["name"] for variable in dashboard["templating"]["list"]}
        assert "datasource" in variables, name
        ids = [panel["id"] for panel in dashboard["panels"]]
        assert len(ids) == len(set(ids)), name
        for panel in panels(dashboard):
            where = f"{name}: {panel['title']}"
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, where
            position = panel["gridPos"]
            assert position["x"] + position["w"] <= 24, where
            assert panel["targets"], where
            for target in panel["targets"]:
                assert target["datasource"] == panel["datasource"], where
                used = set(re.findall(r"\$\{?(\w+)", target["expr"])) - {"__rate_interval"}
                assert used <= variables, (where, used)


def test_every_query_names_a_metric():
    for where, expr in panel_queries():
        assert METRIC.search(expr), where
    for rule in rules():
        assert METRIC.search(rule["expr"]), rule["alert"]


def test_the_compose_monitoring_profile_mounts_the_kit():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = compose["services"]
    monitoring = {name for name, s in services.items() if "monitoring" in s.get("profiles", ())}
    assert monitoring == {"prometheus", "grafana"}
    mounts = {}
    for name in monitoring:
        for volume in services[name]["volumes"]:
            source, target = volume.split(":")[:2]
            if source.startswith("./"):
                assert (REPO / source).exists(), volume
                mounts[target] = REPO / source
            else:
                assert source in compose["volumes"], volume
    # Prometheus reads the shipped config, which scrapes the compose tart-backend service.
    config_flag = next(f for f in services["prometheus"]["command"] if "--config.file" in f)
    config = _in_container(mounts, config_flag.split("=", 1)[1])
    assert config == PROMETHEUS_DIR / "prometheus.yml"
    scrape = yaml.safe_load(config.read_text())["scrape_configs"]
    assert {t for job in scrape for s in job["static_configs"] for t in s["targets"]} == {
        "tart-backend:8080"
    }
    assert "8080:8080" in services["tart-backend"]["ports"]
    # Grafana finds its data source and the dashboards where the provisioning says.
    provisioning = mounts["/etc/grafana/provisioning"]
    source = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())
    assert source["datasources"][0]["url"] == "http://prometheus:9090"
    provider = yaml.safe_load((provisioning / "dashboards" / "tart.yml").read_text())
    path = provider["providers"][0]["options"]["path"]
    assert set(_in_container(mounts, path).glob("*.json")) == {
        REPO / "deploy" / "grafana" / "dashboards" / name for name in dashboards()
    }
    home = services["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert _in_container(mounts, home).is_file()


def _in_container(mounts: dict, path: str) -> Path:
    """The file of this repository that the container sees at `path`."""
    for target, source in mounts.items():
        if path == target or path.startswith(target + "/"):
            return source / path[len(target) :].lstrip("/")
    raise AssertionError(f"{path} is not mounted")
