"""bench/ingest.py end to end in a tiny run: correctness only (no loss, ratios, JSON), no timing."""

import pytest

from tests.support.bench import run_bench

pytestmark = pytest.mark.bench


@pytest.mark.parametrize("processes", [1, 2])
def test_the_ingest_benchmark_runs_and_loses_nothing(tmp_path, processes):
    stdout, figures = run_bench(
        "ingest.py",
        "--nodes", "16", "--seconds", "3", "--rates", "50", "--baseline-rows", "20000",
        "--ingest-processes", str(processes),
        timeout=240,
        directory=tmp_path,
    )  # fmt: skip
    assert figures["ingest_processes"] == processes
    assert f"TART ({processes} × tart ingest" in stdout
    assert figures["baseline"]["execute_values"]["rows"] == 20000
    assert figures["baseline"]["copy"]["rows"] == 20000
    steps = figures["steps"] + [figures["at_80_percent"]]
    assert len(steps) == 2
    for step in steps:
        assert step["loss"] == 0 and step["sent"] > 0
        assert step["stored"] == step["sent"] and step["rate_limited"] == 0
        assert step["connections_held"] == 16
        assert step["send_errors"] == step["connect_failures"] == 0
        assert step["batches"] > 0
    assert figures["memory"]["nodes"] == 16 and figures["memory"]["rss_idle_kb"] > 0
    assert set(figures["ratios"]) == {"execute_values", "copy"}
    assert figures["targets"]["no_loss"] is True
    assert "× the execute_values ceiling" in stdout
    assert "× the COPY ceiling" in stdout
    assert (tmp_path / "ingest.log").exists() and (tmp_path / "loadgen.log").exists()
