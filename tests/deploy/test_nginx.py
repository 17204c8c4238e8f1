"""deploy/nginx/tart.conf in Debian's nginx, in front of a running TART: `nginx -t` accepts it,
and REST, both WebSocket endpoints and /metrics work through it over TLS.

The file is used as shipped, with only what a deployment changes rewritten: the addresses it
listens on, its certificate and the upstream's port.
"""

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import requests
import websocket

from tests.support.ingest import running_ingest
from tests.support.node import TelemetryNode, best_block
from tests.support.procs import REPO, free_port, running, wait_for_port
from tests.support.web import running_web

CONF = REPO / "deploy" / "nginx" / "tart.conf"
TIMEOUT = 20


def nginx() -> str:
    # Debian installs it in /usr/sbin, which is not on every user's PATH.
    path = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin")
    if path is None:
        message = "nginx is not installed: `apt-get install nginx` (as .ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"),
            *("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def rewritten(directory: Path, web_port: int, http_port: int, https_port: int) -> Path:
    """tart.conf for this machine, in a main config of its own under `directory`."""
    cert, key = certificate(directory)
    text = CONF.read_text()
    for old, new in (
        ("server 127.0.0.1:8080;", f"server 127.0.0.1:{web_port};"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen [::]:80;", ""),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("/etc/letsencrypt/live/telemetry.example.com/fullchain.pem", str(cert)),
        ("/etc/letsencrypt/live/telemetry.example.com/privkey.pem", str(key)),
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (directory / "tart.conf").write_text(text)
    temp = {name: directory / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    main = directory / "nginx.conf"
    main.write_text(
        # As root, nginx's workers would otherwise become `nobody`.
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"worker_processes 1;\ndaemon off;\npid {directory / 'nginx.pid'};\n"
        + f"error_log {directory / 'error.log'} warn;\n"
        + "events { worker_connections 256; }\n"
        + "http {\n    access_log off;\n"
        + "".join(f"    {name}_temp_path {path};\n" for name, path in temp.items())
        + f"    include {directory / 'tart.conf'};\n}}\n"
    )
    return main


def nginx_command(main: Path) -> list[str]:
    return [nginx(), "-p", str(main.parent), "-e", str(main.parent / "error.log"), "-c", str(main)]


@contextlib.contextmanager
def running_nginx(web_port):
    directory = Path(tempfile.mkdtemp(prefix="tart-nginx-"))
    try:
        http_port, https_port = free_port(), free_port()
        main = rewritten(directory, web_port, http_port, https_port)
        check = subprocess.run(
            [*nginx_command(main), "-t"], capture_output=True, text=True, timeout=30
        )
        assert check.returncode == 0, check.stderr
        assert "test is successful" in check.stderr
        with running(nginx_command(main), stop_timeout=10) as process:
            wait_for_port("127.0.0.1", https_port, process=process)
            yield http_port, https_port, directory / "cert.pem"
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def test_rest_websockets_and_metrics_work_through_nginx(database_url):
    with (
        running_ingest(database_url) as (host, ingest_port, _),
        running_web(database_url, workers=1) as (web_port, _),
        running_nginx(web_port) as (http_port, https_port, cert),
    ):
        base = f"https://127.0.0.1:{https_port}"
        # Plain HTTP is sent to HTTPS.
        plain = requests.get(
            f"http://127.0.0.1:{http_port}/api/health", allow_redirects=False, timeout=TIMEOUT
        )
        assert plain.status_code == 301
        assert plain.headers["Location"] == "https://127.0.0.1/api/health"
        health = requests.get(f"{base}/api/health", verify=cert, timeout=TIMEOUT)
        assert health.status_code == 200 and health.json()["service"] == "tart-backend"
        # A REST error keeps its status and JSON body through the proxy.
        bad = requests.get(f"{base}/api/events?limit=abc", verify=cert, timeout=TIMEOUT)
        assert bad.status_code == 400 and "limit" in bad.json()["error"]
        metrics = requests.get(f"{base}/metrics", verify=cert, timeout=TIMEOUT)
        assert metrics.status_code == 200 and "telemetry_active_connections" in metrics.text

        tls = {"ca_certs": str(cert)}
        ws = websocket.create_connection(f"wss://127.0.0.1:{https_port}/api/ws", sslopt=tls)
        stream = websocket.create_connection(
            f"wss://127.0.0.1:{https_port}/api/events/stream", sslopt=tls
        )
        try:
            ws.settimeout(TIMEOUT)
            stream.settimeout(TIMEOUT)
            assert json.loads(ws.recv())["type"] == "connected"
            ws.send(json.dumps({"type": "Subscribe", "filter": {"type": "All"}}))
            with TelemetryNode(host, ingest_port) as node:
                node.send(best_block(7))
                event = next_event(ws)
                assert event["node_id"] == node.node_id and event["event"] == best_block(7)
                assert json.loads(stream.recv())["event"] == best_block(7)
            ws.send(json.dumps({"type": "Ping"}))
            assert next_of_type(ws, "pong")
        finally:
            ws.close()
            stream.close()


def next_of_type(ws, kind: str) -> dict:
    while True:
        message = json.loads(ws.recv())
        if message["type"] == kind:
            return message["data"]


def next_event(ws) -> dict:
    return next_of_type(ws, "event")
