"""bench/soak.py end to end in a tiny run: its report by interval and its verdict, no timing."""

import pytest

from tests.support.bench import run_bench

pytestmark = pytest.mark.bench


def test_the_soak_reports_every_interval_and_passes_without_loss_or_growth():
    stdout, figures = run_bench(
        "soak.py",
        "--nodes", "16", "--rate", "5", "--minutes", "0.15", "--interval", "3",
        "--settle", "1", "--subscribers", "2",
        timeout=120,
    )  # fmt: skip
    assert figures["sent"] > 0 and figures["stored"] == figures["sent"]
    assert figures["lost"] == 0 and figures["subscribers_complete"] is True
    assert figures["failures"] == []
    intervals = figures["intervals"]
    assert len(intervals) >= 3
    assert sum(i["stored_per_second"] for i in intervals) > 0
    assert any(i["delivery_samples"] for i in intervals)
    for interval in intervals:
        assert interval["lost"] == 0
        assert interval["ingest_rss_kb"] > 0 and interval["web_rss_kb"] > 0
        assert interval["database_mb"] > 0
    assert set(figures["rss_growth"]) == {"ingest_rss_kb", "web_rss_kb"}
    lines = stdout.splitlines()
    assert "delivery p99 ms" in lines[0]
    rows = [line for line in lines[1:] if len(line.split()) == 10 and line.split()[0].isdigit()]
    assert [int(row.split()[0]) for row in rows] == [i["elapsed_seconds"] for i in intervals]
    assert lines[-1] == "passed"
