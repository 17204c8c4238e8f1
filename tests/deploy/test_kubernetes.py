"""deploy/kubernetes/: every manifest parses, is of the kind expected, and gives TART only the
settings, commands and ports it has; and the probes' paths answer as the probes expect."""

import requests
import yaml
from psycopg2.extensions import parse_dsn

from tart.config import ConfigError, Settings, parse_bind
from tests.support.deploy import API_PORT, SETTINGS, TELEMETRY_PORT, check_command
from tests.support.procs import REPO
from tests.support.web import running_web

KUBERNETES = REPO / "deploy" / "kubernetes"


def manifests() -> dict[tuple[str, str], dict]:
    """(kind, name) → document, of every YAML document under deploy/kubernetes/."""
    found = {}
    for path in sorted(KUBERNETES.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            key = (document["kind"], document.get("metadata", {}).get("name", path.name))
            assert key not in found, key
            found[key] = document
    return found


def workloads(found):
    """(kind, name, pod spec) of every Deployment and Job."""
    return [
        (kind, name, document["spec"]["template"]["spec"])
        for (kind, name), document in found.items()
        if kind in ("Deployment", "Job")
    ]


def containers(pod):
    return pod.get("initContainers", []) + pod["containers"]


def test_the_kinds_are_those_a_deployment_needs():
    found = manifests()
    assert set(found) == {
        ("Kustomization", "kustomization.yaml"),
        ("ConfigMap", "tart-config"),
        ("Secret", "tart-secrets"),
        ("Job", "tart-migrate"),
        ("Deployment", "tart-ingest"),
        ("Service", "tart-ingest"),
        ("Deployment", "tart-web"),
        ("Service", "tart-web"),
    }
    kustomization = found["Kustomization", "kustomization.yaml"]
    listed = set(kustomization["resources"])
    assert listed == {path.name for path in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}
    assert [image["name"] for image in kustomization["images"]] == ["tart"]


def test_every_container_runs_a_tart_command_with_settings_tart_reads():
    found = manifests()
    config = found["ConfigMap", "tart-config"]["data"]
    secret = found["Secret", "tart-secrets"]["stringData"]
    assert set(config) <= SETTINGS
    commands = {}
    for _, name, pod in workloads(found):
        for container in containers(pod):
            check_command(container["command"])
            commands.setdefault(name, []).append(container["command"][1])
            assert container["image"] == "tart"
            assert container["envFrom"] == [{"configMapRef": {"name": "tart-config"}}]
            for variable in container["env"]:
                assert variable["name"] in SETTINGS
                reference = variable["valueFrom"]["secretKeyRef"]
                assert reference["name"] == "tart-secrets" and reference["key"] in secret
    assert commands == {
        "tart-migrate": ["migrate"],
        "tart-ingest": ["migrate", "ingest"],
        "tart-web": ["migrate", "web"],
    }
    # The settings as a container gets them are valid settings (TART would refuse to start).
    try:
        settings = Settings.from_env({**config, "DATABASE_URL": secret["database-url"]})
    except ConfigError as error:
        raise AssertionError(error) from None
    assert parse_bind(settings.api_bind)[1] == API_PORT
    assert parse_bind(settings.telemetry_bind)[1] == TELEMETRY_PORT
    assert parse_dsn(secret["database-url"])["dbname"] == "tart_telemetry"


def test_ports_services_and_probes_line_up():
    found = manifests()
    expected = {"tart-web": ("api", API_PORT), "tart-ingest": ("telemetry", TELEMETRY_PORT)}
    for name, (port_name, number) in expected.items():
        deployment = found["Deployment", name]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"] == labels
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["ports"] == [{"name": port_name, "containerPort": number}]
        service = found["Service", name]["spec"]
        assert service["selector"] == labels
        assert service["ports"] == [
            {"name": port_name, "port": number, "targetPort": port_name, "protocol": "TCP"}
        ]
        for probe in ("livenessProbe", "readinessProbe"):
            action = container[probe].get("httpGet") or container[probe]["tcpSocket"]
            assert action["port"] == port_name, (name, probe)
    web = found["Deployment", "tart-web"]["spec"]["template"]
    (container,) = web["spec"]["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/api/health"
    assert container["readinessProbe"]["httpGet"]["path"] == "/api/health/detailed"
    assert web["metadata"]["annotations"]["prometheus.io/port"] == str(API_PORT)
    assert (
        found["Deployment", "tart-ingest"]["spec"]["template"]["spec"][
            "terminationGracePeriodSeconds"
        ]
        >= 60
    )


def test_the_probe_paths_answer_200_from_a_healthy_web_process(database_url):
    (container,) = manifests()["Deployment", "tart-web"]["spec"]["template"]["spec"]["containers"]
    with running_web(database_url, workers=1) as (port, _):
        for probe in ("livenessProbe", "readinessProbe"):
            path = container[probe]["httpGet"]["path"]
            response = requests.get(f"http://127.0.0.1:{port}{path}", timeout=10)
            assert response.status_code == 200, (probe, response.text)
