"""A benchmark under bench/ run end to end in a tiny configuration, as the `bench` tests do:
they check what it reports, never its timing."""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support.procs import REPO


def run_bench(
    script: str, *options: str, timeout: float, directory: Path | None = None
) -> tuple[str, dict]:
    """Run bench/`script` with `options` and its results file in `directory` (a new temporary
    one by default); what it printed and the figures it wrote. Fails the test when the
    benchmark fails."""
    directory = directory or Path(tempfile.mkdtemp(prefix="tart-bench-"))
    results = directory / "results.json"
    result = subprocess.run(
        [sys.executable, f"bench/{script}", *options, "--results", str(results)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout, json.loads(results.read_text())
