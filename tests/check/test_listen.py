"""`tart check --listen`: one node's real TCP connection, reported live and summed up at the end."""

import json
import signal
import subprocess
import time

import pytest

from tests.support.captures import header
from tests.support.node import TelemetryNode, best_block
from tests.support.procs import free_port, tart


class Listening:
    """A running `tart check --listen`, its stdout and stderr in files of their own."""

    def __init__(self, tmp_path, *options):
        self.port = free_port()
        self.stdout_path, self.stderr_path = tmp_path / "stdout", tmp_path / "stderr"
        with open(self.stdout_path, "wb") as stdout, open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(
                tart("check", "--listen", f"127.0.0.1:{self.port}", *options),
                stdout=stdout,
                stderr=stderr,
                stdin=subprocess.DEVNULL,
            )
        # Told, not probed: a probe would be the one connection it takes.
        self.wait_for("listening on", lambda: self.stdout() + self.stderr())

    def stdout(self):
        return self.stdout_path.read_text()

    def stderr(self):
        return self.stderr_path.read_text()

    def wait_for(self, text, where, timeout=20):
        deadline = time.monotonic() + timeout
        while text not in where():
            assert time.monotonic() < deadline, f"{text!r} not in:\n{where()}"
            assert self.process.poll() is None, f"exited {self.process.returncode}:\n{where()}"
            time.sleep(0.05)

    def finish(self, timeout=20):
        return self.process.wait(timeout)

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def listening(tmp_path):
    started = []

    def start(*options):
        started.append(Listening(tmp_path, *options))
        return started[-1]

    yield start
    for check in started:
        check.stop()


def test_live_findings_then_the_summary_when_the_node_closes(listening):
    check = listening()
    assert f"listening on 127.0.0.1:{check.port}: start one node with --telemetry " in (
        check.stdout()
    )
    with TelemetryNode("127.0.0.1", check.port) as node:
        check.wait_for("✓ protocol version 0", check.stdout)
        node.send(best_block(1))
        node.send_raw(header(13) + b"\x02")
        check.wait_for("SyncStatusChanged invalid", check.stdout)
        node.send({"ConnectingIn": {"from": {"address": "10.0.0.1", "port": 1}}})
        node.send({"ConnectedOut": {"connecting_id": 2}})
        check.wait_for("ConnectedOut.connecting_id", check.stdout)
    assert check.finish() == 1

    shown = check.stdout().splitlines()
    assert shown[1].startswith("node connected from 127.0.0.1:")
    assert (
        "✗ frame 2 (event ID 1): 13 SyncStatusChanged invalid: SyncStatusChanged.synced at "
        "byte 9: bool must be 0 or 1, got 0x02" in shown
    )
    assert (
        "✗ ConnectedOut.connecting_id: at frame 4 (event ID 3) names ID 2, a ConnectingIn (21); "
        "expected ConnectingOut (24)" in shown
    )
    closed = shown.index("the node closed the connection")
    assert shown[closed + 2].startswith("tart check: 127.0.0.1:")
    assert "  4 event frames numbered 0 … 3" in shown
    assert shown[-1] == "✗ does not conform: 1 invalid frame in 1 kind, 1 wrong reference"


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_json_at_ctrl_c_while_the_node_is_connected(listening, stop):
    check = listening("--json")
    with TelemetryNode("127.0.0.1", check.port) as node:
        for slot in range(1, 4):
            node.send(best_block(slot))
        node.send_raw(header(48) + bytes(12))
        check.wait_for("unknown discriminator 48", check.stderr)
        check.process.send_signal(stop)
        assert check.finish() == 1

    report = json.loads(check.stdout())
    assert (report["frames"], report["ok"]) == (5, False)
    assert [(k["discriminator"], k["valid"], k["invalid"]) for k in report["kinds"]] == [
        (11, 3, 0),
        (48, 0, 1),
    ]
    assert "stopped" in check.stderr()


def test_ctrl_c_before_any_node_connects(listening):
    check = listening()
    check.process.send_signal(signal.SIGINT)
    assert check.finish() == 1
    assert check.stdout().splitlines()[-2:] == ["stopped", "no node connected"]


def test_the_load_generator_as_the_node(listening):
    check = listening("--json")
    loadgen = subprocess.run(
        tart(
            "loadgen",
            "--telemetry",
            f"127.0.0.1:{check.port}",
            "--nodes",
            "1",
            "--count",
            "600",
            "--rate",
            "1000",
            "--protocol-version",
            "1",
            "--params-layout",
            "0.8",
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert loadgen.returncode == 0, loadgen.stderr
    assert check.finish() == 0, check.stderr()

    report = json.loads(check.stdout())
    assert report["ok"] is True
    assert report["frames"] == 601
    info = report["node_information"]
    assert (info["implementation_name"], info["protocol_version"], info["params_layout"]) == (
        "tart-loadgen",
        1,
        "0.8",
    )
    assert report["totals"]["events"] == 600 and report["totals"]["kinds_seen"] == 115
    assert report["references"]["wrong"] == 0 and report["references"]["checked"] > 300
    # A second node finds nobody listening: tart check takes one connection.
    with pytest.raises(ConnectionRefusedError):
        TelemetryNode("127.0.0.1", check.port)
