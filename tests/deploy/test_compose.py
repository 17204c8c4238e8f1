"""docker-compose.yml as the seed's users run it (`docker-compose up -d`, `docker-compose logs -f
tart-backend`, database tart_telemetry, user tart, password tart_password, PostgreSQL on 5432),
read as docker compose reads it; and the command and settings of its tart-backend service run
for real against PostgreSQL. (No Docker here: the image's part is checked from the Dockerfile.)"""

import re
import shlex
from urllib.parse import urlsplit

import pytest
import requests
import yaml
from psycopg2.extensions import parse_dsn

from tart.db.connect import connect
from tests.support.db import with_database
from tests.support.deploy import (
    API_PORT,
    SETTINGS,
    TELEMETRY_PORT,
    check_command,
    interpolate,
)
from tests.support.procs import REPO, free_port, running, tart, wait_for_http, wait_for_port

COMPOSE = REPO / "docker-compose.yml"
OVERRIDE = REPO / "docker-compose.override.example.yml"


def compose(environ=None, override=False) -> dict:
    """The services as compose sees them: interpolated from `environ`, anchors merged, and
    docker-compose.override.example.yml merged in if `override` (as compose merges an
    override file: environment by variable, other keys replaced)."""
    services = yaml.safe_load(interpolate(COMPOSE.read_text(), environ or {}))["services"]
    for service in services.values():
        service["environment"] = environment(service)
    if override:
        extra = yaml.safe_load(interpolate(OVERRIDE.read_text(), environ or {}))["services"]
        for name, service in extra.items():
            assert name in services, f"the override names a service compose lacks: {name}"
            merged = {**services[name]["environment"], **environment(service)}
            services[name].update(service, environment=merged)
    return services


def environment(service: dict) -> dict:
    value = service.get("environment") or {}
    if isinstance(value, list):
        return dict(item.split("=", 1) for item in value)
    return {name: str(text) for name, text in value.items()}


def tart_services(services: dict) -> dict:
    return {name: s for name, s in services.items() if s.get("image") == "tart"}


def by_profile(services: dict) -> dict:
    profiles = {}
    for name, service in services.items():
        for profile in service.get("profiles") or [None]:
            profiles.setdefault(profile, set()).add(name)
    return profiles


def test_the_default_services_are_the_seeds_and_the_split_is_a_profile():
    services = compose()
    assert by_profile(services) == {
        None: {"postgres", "tart-backend"},
        "split": {"migrate", "ingest", "web"},
        "monitoring": {"prometheus", "grafana"},
    }
    backend = services["tart-backend"]
    assert backend["command"] == "tart run"
    assert set(backend["ports"]) == {f"{API_PORT}:{API_PORT}", f"{TELEMETRY_PORT}:{TELEMETRY_PORT}"}
    assert backend["depends_on"]["postgres"]["condition"] == "service_healthy"
    postgres = services["postgres"]
    assert postgres["ports"] == ["5432:5432"]
    assert postgres["environment"] == {
        "POSTGRES_USER": "tart",
        "POSTGRES_PASSWORD": "tart_password",
        "POSTGRES_DB": "tart_telemetry",
    }
    assert "-U tart -d tart_telemetry" in postgres["healthcheck"]["test"][1]
    # The split runs the same processes in containers of their own, on the same host ports
    # (so tart-backend is scaled to 0), and web answers under tart-backend's name.
    assert services["ingest"]["ports"] == [f"{TELEMETRY_PORT}:{TELEMETRY_PORT}"]
    assert services["web"]["ports"] == [f"{API_PORT}:{API_PORT}"]
    assert services["web"]["networks"]["default"]["aliases"] == ["tart-backend"]
    assert "--scale tart-backend=0" in COMPOSE.read_text()


def test_the_trial_credentials_are_the_defaults_and_documented_as_trial_only():
    text = COMPOSE.read_text()
    assert "TRIAL ONLY" in text and "POSTGRES_PASSWORD" in text
    for environ, password in (({}, "tart_password"), ({"POSTGRES_PASSWORD": "s3cret"}, "s3cret")):
        services = compose(environ)
        assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == password
        for name, service in tart_services(services).items():
            url = parse_dsn(service["environment"]["DATABASE_URL"])
            assert url == {
                "user": "tart",
                "password": password,
                "host": "postgres",
                "port": "5432",
                "dbname": "tart_telemetry",
            }, name


@pytest.mark.parametrize("override", [False, True])
def test_every_variable_given_to_tart_is_one_it_reads(override):
    services = compose({"DATABASE_URL": "postgresql://x", "POSTGRES_PASSWORD": "x"}, override)
    tart_ones = tart_services(services)
    assert set(tart_ones) == {"tart-backend", "migrate", "ingest", "web"}
    for name, service in tart_ones.items():
        assert set(service["environment"]) <= SETTINGS, name
        assert service["environment"]["TART_LOG_LEVEL"] == "info"


def test_the_override_example_is_the_seeds_for_tart():
    exported = {
        "POSTGRES_PASSWORD": "0123abcd",
        "DATABASE_URL": "postgresql://tart:0123abcd@postgres:5432/tart_telemetry",
    }
    services = compose(exported, override=True)
    assert services["tart-backend"]["environment"]["DATABASE_URL"] == exported["DATABASE_URL"]
    assert services["tart-backend"]["restart"] == "always"
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == "0123abcd"
    # A new data directory, so PostgreSQL takes the new password when it creates it.
    assert services["postgres"]["volumes"] == ["/var/lib/tart/postgres:/var/lib/postgresql/data"]
    # The export it shows makes a password that fits in a URL.
    text = OVERRIDE.read_text()
    assert "openssl rand -hex 32" in text and "cp docker-compose.override.example.yml" in text


def test_every_command_is_one_the_image_has():
    dockerfile = (REPO / "Dockerfile").read_text()
    copied = {
        name
        for line in dockerfile.splitlines()
        if line.startswith("COPY ")
        for name in line.split()[1:-1]
    }
    # What `pip install .` and gunicorn need, and the schema `tart migrate` applies.
    needed = {"pyproject.toml", "setup.cfg", "wsgi.py", "gunicorn.conf.py", "schema", "tart"}
    assert needed <= copied
    assert 'CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]' in dockerfile
    setup = (REPO / "setup.cfg").read_text()
    assert re.search(r"^\s+tart = tart\.cli:main$", setup, re.MULTILINE)
    for service in tart_services(compose()).values():
        check_command(shlex.split(service["command"]))


def test_tart_backend_runs_as_compose_runs_it(pg, tmp_path):
    """The service's command with its environment, the compose PostgreSQL being ours: it
    migrates the empty tart_telemetry database as user tart and serves both ports."""
    service = compose()["tart-backend"]
    admin = connect(pg.admin_url)
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute("CREATE ROLE tart LOGIN PASSWORD 'tart_password'")
            cur.execute("CREATE DATABASE tart_telemetry OWNER tart")
        # Credentials and database as compose gives them; where the server is, ours.
        theirs, ours = urlsplit(service["environment"]["DATABASE_URL"]), urlsplit(pg.admin_url)
        credentials = theirs.netloc.rsplit("@", 1)[0]
        url = theirs._replace(
            netloc=f"{credentials}@{ours.netloc.rsplit('@', 1)[1]}", query=ours.query
        ).geturl()
        api, telemetry = free_port(), free_port()
        env = {
            **service["environment"],
            "DATABASE_URL": url,
            "API_BIND": f"127.0.0.1:{api}",
            "TELEMETRY_BIND": f"127.0.0.1:{telemetry}",
            "TART_DATA_DIR": str(tmp_path / "unused"),
        }
        command = shlex.split(service["command"])
        with running(tart(*command[1:]), env, cwd=tmp_path, stop_timeout=60) as process:
            wait_for_http(f"http://127.0.0.1:{api}/api/health", timeout=60, process=process)
            wait_for_port("127.0.0.1", telemetry, process=process)
            detailed = requests.get(f"http://127.0.0.1:{api}/api/health/detailed", timeout=10)
            assert detailed.status_code == 200
        assert not (tmp_path / "unused").exists()
        tables = connect(with_database(pg.admin_url, "tart_telemetry"))
        try:
            with tables.cursor() as cur:
                cur.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'known_nodes'")
                assert cur.fetchall() == [("tart",)]
        finally:
            tables.close()
    finally:
        with admin.cursor() as cur:
            cur.execute("DROP DATABASE IF EXISTS tart_telemetry WITH (FORCE)")
            cur.execute("DROP ROLE IF EXISTS tart")
        admin.close()
