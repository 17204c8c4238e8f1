"""`tart loadgen` as a process of its own, and what it says it sent."""

import json
import subprocess

from tests.support.procs import running, tart


def loadgen_process(port, summary_path, *options):
    """A running `tart loadgen` at 127.0.0.1:`port` (a context manager yielding the Process)
    that writes its summary to `summary_path`."""
    command = tart(
        "loadgen", "--telemetry", f"127.0.0.1:{port}", "--summary-json", summary_path, *options
    )
    return running(command, stop_timeout=60)


def sent_per_node(summary_path) -> dict:
    """node_id → valid events the loadgen's kernel accepted for that node."""
    summary = json.loads(summary_path.read_text())
    return {node["node_id"]: node["events"] for node in summary["per_node"]}


def loadgen(port, *options, timeout=60):
    """Run `tart loadgen` at 127.0.0.1:`port` to its end; the CompletedProcess."""
    return subprocess.run(
        tart("loadgen", "--telemetry", f"127.0.0.1:{port}", *options),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
