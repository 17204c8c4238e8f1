"""`tart run` owns what it starts: a closed terminal stops it cleanly, and if it is killed
outright nothing it started outlives it for long — no process, no port, no database."""

import os
import shutil
import signal
import socket
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from tests.support.procs import free_port, running, tart, wait_for, wait_for_http

GONE_WITHIN = 45  # ingest's shutdown, then PostgreSQL's


def _descendants(process) -> list:
    return [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]


def _run_env(data_dir, api_port, telemetry_port):
    return {
        "DATABASE_URL": None,
        "TART_DATA_DIR": str(data_dir),
        "API_BIND": f"127.0.0.1:{api_port}",
        "TELEMETRY_BIND": f"127.0.0.1:{telemetry_port}",
        "TART_LOG_LEVEL": "warning",
    }


def _wait_gone(processes, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        if not alive:
            return []
        time.sleep(0.2)
    return alive


def _port_free(port) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.fixture(scope="module")
def data_dir():
    """TART_DATA_DIR, shared so that the database is initialised once; not under pytest's
    tmp_path, which another pytest run may make private (mode 700) at any time, shutting out
    the embedded server's own user."""
    path = Path(tempfile.mkdtemp(prefix="tart-run-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def ports():
    return free_port(), free_port()


def test_a_killed_tart_run_leaves_nothing_behind(data_dir, ports):
    api, telemetry = ports
    with running(tart("run"), _run_env(data_dir, api, telemetry)) as run:
        wait_for_http(f"http://127.0.0.1:{api}/api/health", timeout=60, process=run)
        started = _descendants(run)
        postmaster = int((data_dir / "postgres/postmaster.pid").read_text().split()[0])
        started.append(psutil.Process(postmaster))
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
        assert _wait_gone(started, GONE_WITHIN) == []
    assert _port_free(api) and _port_free(telemetry)
    assert not (data_dir / "postgres/postmaster.pid").exists()


def test_a_closed_terminal_stops_tart_run_cleanly(data_dir, ports):
    api, telemetry = ports
    with running(tart("run"), _run_env(data_dir, api, telemetry)) as run:
        wait_for_http(f"http://127.0.0.1:{api}/api/health", timeout=60, process=run)
        started = _descendants(run)
        run.send_signal(signal.SIGHUP)
        assert run.wait(GONE_WITHIN) == 0, run.output()
        assert _wait_gone(started, 5) == []
        assert "stopping" in run.output()
    assert not (data_dir / "postgres/postmaster.pid").exists()


def test_a_port_held_by_an_earlier_tart_is_named(data_dir, ports):
    api, telemetry = ports
    env = _run_env(data_dir, api, telemetry)
    with running(tart("run"), env) as first:
        wait_for_http(f"http://127.0.0.1:{api}/api/health", timeout=60, process=first)
        with running(tart("run"), dict(env, TART_DATA_DIR=str(data_dir / "other"))) as second:
            assert second.wait(30) == 1
            output = second.output()
    assert f"port {telemetry} is already in use by an earlier TART (pid " in output
    assert "tart ingest" in output or "tart.cli ingest" in output


def test_a_second_tart_run_on_the_same_data_waits_for_the_first_to_stop(data_dir):
    first_ports, second_ports = (free_port(), free_port()), (free_port(), free_port())
    with running(tart("run"), _run_env(data_dir, *first_ports)) as first:
        wait_for_http(f"http://127.0.0.1:{first_ports[0]}/api/health", timeout=60, process=first)
        with running(tart("run"), _run_env(data_dir, *second_ports)) as second:
            wait_for(
                lambda: "waiting for the tart run using" in second.output(), "second waits", 30
            )
            assert second.poll() is None
            first.send_signal(signal.SIGTERM)
            assert first.wait(GONE_WITHIN) == 0
            health = wait_for_http(
                f"http://127.0.0.1:{second_ports[0]}/api/health/detailed", timeout=60,
                process=second,
            )  # fmt: skip
            assert health.json()["components"]["database"]["status"] == "healthy"
