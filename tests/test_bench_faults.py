"""bench/faults.py in a short run: an outage, nothing lost, its report printed."""

import subprocess
import sys

import pytest

from tests.support.procs import REPO

pytestmark = pytest.mark.bench


def test_the_fault_benchmark_reports_no_loss_through_an_outage():
    result = subprocess.run(
        [sys.executable, "bench/faults.py", "--nodes", "5", "--rate", "50",
         "--before", "2", "--outage", "3", "--after", "2"],
        cwd=REPO, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    report = dict(line.split(None, 1) for line in result.stdout.splitlines() if line.strip())
    sent = int(report["sent"].split()[0])
    assert sent == 5 * 50 * 7
    assert report["stored"].split()[0] == str(sent)
    assert report["lost"] == "0" and report["duplicated"] == "0"
    assert int(report["writer"].split()[1]) > 0  # "errors N (...)": the outage was seen
