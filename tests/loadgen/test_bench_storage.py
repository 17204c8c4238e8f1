"""bench/storage.py end to end in a tiny run: its figures add up, nothing lost, no timing."""

import pytest

from tests.support.bench import run_bench

pytestmark = pytest.mark.bench


def test_the_storage_benchmark_measures_each_mix_beside_its_wire_bytes():
    stdout, figures = run_bench(
        "storage.py",
        "--events", "3000", "--nodes", "8", "--rate", "2000",
        "--mixes", "status,all",
        timeout=180,
    )  # fmt: skip
    assert list(figures["mixes"]) == ["status", "all"]
    for mix in figures["mixes"].values():
        assert mix["stored"] == mix["sent"] > 0 and mix["lost"] == 0
        # A Status frame of 341 cores is ~400 bytes, the `all` cycle's frames ~50 on average.
        assert 20 < mix["wire_bytes_per_event"] < 400
        parts = (
            mix["table_bytes_per_event"]
            + mix["toast_bytes_per_event"]
            + sum(mix["index_bytes_per_event"].values())
        )
        assert abs(parts - mix["disk_bytes_per_event"]) < 1
        assert set(mix["index_bytes_per_event"]) >= {"events_pkey", "events_node_latest"}
        assert abs(mix["ratio"] - mix["disk_bytes_per_event"] / mix["wire_bytes_per_event"]) < 0.02
        assert mix["past_day_bytes_per_event"] < mix["disk_bytes_per_event"]
        assert mix["event_counts"]["hourly_rows"] > 0
    statuses, everything = figures["mixes"]["status"], figures["mixes"]["all"]
    assert statuses["wire_bytes_per_event"] > 2 * everything["wire_bytes_per_event"]
    assert set(figures["goal"]) == {"status", "all"}
    assert "goal ≤ 3 × wire" in stdout
