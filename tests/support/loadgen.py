"""`tart loadgen` as a process of its own, and what it says it sent."""

import json
import subprocess
import tempfile
from pathlib import Path

from tests.support.ingest import wait_for_rows
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


def send_lifecycles(database_url, port, nodes, cycles, seed):
    """`nodes` simulated nodes send `cycles` whole cycles of the lifecycles mix (known authors
    and delays) to the ingest at 127.0.0.1:`port`; returns once every event is stored and
    counted (ingest folds the counts about a second after the events)."""
    summary = Path(tempfile.mkdtemp(prefix="tart-lifecycles-")) / "summary.json"
    done = loadgen(
        port,
        "--mix", "lifecycles", "--nodes", str(nodes), "--cycles", str(cycles),
        "--rate", "2000", "--seed", str(seed), "--summary-json", str(summary),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    sent = json.loads(summary.read_text())["events"]
    wait_for_rows(database_url, "SELECT count(*) FROM events", sent)
    counted = "SELECT coalesce(sum(event_count), 0) FROM event_stats_minute"
    wait_for_rows(database_url, counted, sent)
