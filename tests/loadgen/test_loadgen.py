"""`tart loadgen` against a TCP sink that decodes and counts everything it receives."""

import json
import subprocess
import time

from tart.loadgen.runner import SLOW_BYTE_BY_BYTE, SLOW_HELD_BACK, _SlowWriter
from tests.support.loadgen import loadgen
from tests.support.procs import free_port, tart
from tests.support.sink import Sink


def wait_for_connections(sink, expected, timeout=10.0):
    """The sink counts a connection once it has read it to the end."""
    deadline = time.monotonic() + timeout
    while sum(sink.connections.values()) < expected and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sum(sink.connections.values()) == expected


def test_each_node_sends_what_the_summary_says(tmp_path):
    summary_path = tmp_path / "summary.json"
    with Sink() as sink:
        result = loadgen(
            sink.port,
            "--nodes",
            "8",
            "--count",
            "120",
            "--rate",
            "400",
            "--mix",
            "network",
            "--protocol-version",
            "1",
            "--params-layout",
            "0.8",
            "--summary-json",
            summary_path,
        )
        assert result.returncode == 0, result.stderr
        wait_for_connections(sink, 8)
    summary = json.loads(summary_path.read_text())
    assert summary["events"] == 960 and summary["garbage"] == 0
    assert summary["connections"] == 8
    assert summary["send_errors"] == summary["connect_failures"] == 0
    assert {node["node_id"]: node["events"] for node in summary["per_node"]} == sink.events
    assert set(sink.events.values()) == {120}
    assert [node["index"] for node in summary["per_node"]] == list(range(8))
    assert sink.problems == [] and not sink.undecodable
    assert "sent 960 events and 0 garbage frames" in result.stdout


def test_misbehaving_nodes_are_counted_exactly(tmp_path):
    summary_path = tmp_path / "summary.json"
    with Sink() as sink:
        result = loadgen(
            sink.port,
            "--nodes",
            "4",
            "--duration",
            "1.5",
            "--rate",
            "200",
            "--garbage-rate",
            "0.2",
            "--reconnect-every",
            "0.5",
            "--slow",
            "2",
            "--summary-json",
            summary_path,
        )
        assert result.returncode == 0, result.stderr
        summary = json.loads(summary_path.read_text())
        wait_for_connections(sink, summary["connections"])
    per_node = {node["node_id"]: node for node in summary["per_node"]}
    assert {node: counts["events"] for node, counts in per_node.items()} == sink.events
    assert {node: counts["garbage"] for node, counts in per_node.items()} == sink.undecodable
    assert {node: counts["connections"] for node, counts in per_node.items()} == sink.connections
    # Every node sends rate × duration frames, over at least three connections.
    assert all(counts["events"] + counts["garbage"] == 300 for counts in per_node.values())
    assert all(counts["connections"] >= 3 for counts in per_node.values())
    assert 0 < summary["garbage"] < summary["events"]
    # Slow nodes hold back the end of a frame between ticks, yet no connection ends mid-frame.
    assert sink.problems == []


def test_sigterm_stops_the_nodes_with_exact_counts(tmp_path):
    summary_path = tmp_path / "summary.json"
    with Sink() as sink:
        command = tart(
            "loadgen",
            "--telemetry",
            f"127.0.0.1:{sink.port}",
            "--nodes",
            "6",
            "--duration",
            "300",
            "--summary-json",
            summary_path,
        )
        with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
            deadline = time.monotonic() + 30
            while sink.received < 20_000 and time.monotonic() < deadline:
                time.sleep(0.05)
            process.terminate()
            output, _ = process.communicate(timeout=30)
        assert process.returncode == 0, output
        summary = json.loads(summary_path.read_text())
        wait_for_connections(sink, 6)
    assert summary["stopped_by_signal"] is True
    assert summary["events"] > 0
    assert {
        node["node_id"]: node["events"] for node in summary["per_node"] if node["events"]
    } == sink.events
    assert sink.problems == []
    assert "stopped early by a signal" in output


class _Recorder:
    def __init__(self):
        self.writes = []

    def sendall(self, data):
        self.writes.append(bytes(data))


def test_a_slow_node_writes_byte_by_byte_and_stalls_mid_frame():
    sock = _Recorder()
    writer = _SlowWriter(sock)
    first, second = bytes(range(100)), bytes(range(100, 150))
    writer.sendall(first)
    assert [len(write) for write in sock.writes[:SLOW_BYTE_BY_BYTE]] == [1] * SLOW_BYTE_BY_BYTE
    assert b"".join(sock.writes) == first[:-SLOW_HELD_BACK]
    writer.sendall(second)
    assert b"".join(sock.writes) == (first + second)[:-SLOW_HELD_BACK]
    writer.flush()
    assert b"".join(sock.writes) == first + second


def test_an_unreachable_server_fails_the_run(tmp_path):
    summary_path = tmp_path / "summary.json"
    result = loadgen(free_port(), "--nodes", "2", "--duration", "1", "--summary-json", summary_path)
    assert result.returncode == 1
    assert "Error: some connections or sends failed" in result.stderr
    summary = json.loads(summary_path.read_text())
    assert summary["connect_failures"] >= 2 and summary["events"] == 0
    assert summary["connections"] == 0
