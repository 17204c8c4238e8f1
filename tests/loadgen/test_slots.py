"""`tart loadgen` makes a network that looks real: its best block is the JAM slot of the clock
(slot 0 at the JAM Common Era, one per 6 s), the same for every node, and moves on with it."""

import pytest
import requests

from tart.loadgen.frames import slot_at
from tart.loadgen.runner import jam_now
from tests.support.ingest import running_ingest
from tests.support.loadgen import loadgen_process
from tests.support.procs import wait_for
from tests.support.web import running_web

# /api/stats is cached for 5 s, and ingest writes node rows about a second behind the events.
STALE_SECONDS = 7


def stats(port):
    return requests.get(f"http://127.0.0.1:{port}/api/stats", timeout=10).json()


@pytest.mark.parametrize("mix", ["all", "status"])
def test_the_best_block_is_the_slot_of_the_clock_and_follows_it(database_url, tmp_path, mix):
    options = ("--nodes", "3", "--rate", "200", "--duration", "40", "--mix", mix)
    with (
        running_ingest(database_url) as (_, ingest_port, _),
        running_web(database_url, workers=1) as (web_port, _),
        loadgen_process(ingest_port, tmp_path / "summary.json", *options),
    ):

        def best_is_recent():
            best = stats(web_port)["best_block"]
            now = jam_now()
            earliest = slot_at(now - STALE_SECONDS * 1_000_000)
            assert best is None or earliest - 1 <= best <= slot_at(now), (best, slot_at(now))
            return best is not None and best >= earliest and best

        first = wait_for(best_is_recent, "a best block near the JAM slot of the clock", 30)
        # The next slot begins at most 6 s later; the best block follows it.
        wait_for(lambda: best_is_recent() > first, "the best block moving on", 6 + 2 * 7)
        final = stats(web_port)
        assert final["finalized_block"] <= final["best_block"]
        assert final["best_block"] - final["finalized_block"] <= 3
