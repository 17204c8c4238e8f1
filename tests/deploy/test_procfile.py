"""The Procfile as a Heroku-style platform runs it: each line through a shell, PORT set for web."""

import os

import requests

from tests.support.procs import BIN, REPO, free_port, running, wait_for_http


def procfile() -> dict[str, str]:
    lines = (REPO / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def test_the_procfile_declares_web_ingest_and_release():
    assert set(procfile()) == {"web", "ingest", "release"}


def test_web_listens_on_the_port_the_platform_gives_it(database_url):
    port = free_port()
    env = {
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "PORT": str(port),
        "API_BIND": None,
        "DATABASE_URL": database_url,
        "TART_WEB_WORKERS": "1",
    }
    with running(["sh", "-c", procfile()["web"]], env) as web:
        wait_for_http(f"http://127.0.0.1:{port}/api/health", process=web)
        assert requests.get(f"http://127.0.0.1:{port}/api/stats", timeout=10).status_code == 200


def test_release_migrates_the_database(database_url):
    env = {"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "DATABASE_URL": database_url}
    with running(["sh", "-c", procfile()["release"]], env) as release:
        assert release.wait(60) == 0, release.output()
