"""bench/scaleout.py end to end in a tiny run: one and two ingest processes, nothing lost."""

import pytest

from tests.support.bench import run_bench

pytestmark = pytest.mark.bench


def test_one_and_two_ingest_processes_store_every_event():
    stdout, figures = run_bench(
        "scaleout.py",
        "--nodes", "16", "--rate", "50", "--seconds", "3", "--repeat", "1",
        timeout=240,
    )  # fmt: skip
    assert [step["processes"] for step in figures["steps"]] == [1, 2]
    for step in figures["steps"]:
        assert step["sent"] > 0 and step["stored"] == step["sent"] and step["loss"] == 0
        assert step["ingest_cpu_us_per_event"] > 0 and step["postgres_cpu_us_per_event"] > 0
    assert set(figures["best"]) == {"1", "2"}
    assert "× one process" in stdout
