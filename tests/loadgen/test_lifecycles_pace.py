"""A continuous `lifecycles` load (--duration, not --cycles) through a real `tart ingest`.

Its slots follow each node's cycles, not the clock, and its nodes' cycles differ in length (an
author sends more than an importer), so the nodes must go through their cycles at the same pace
for a slot's block to be authored and imported in the same stretch of time: otherwise, within a
few cycles, importers run ahead of authors, blocks go without their author and the receive-clock
spreads grow without end."""

import json
from datetime import timedelta

from tart.loadgen import lifecycles as mix
from tart.loadgen.mixes import script_of
from tart.loadgen.nodes import peer_id
from tests.support.ingest import query, running_ingest, wait_for_rows
from tests.support.loadgen import loadgen

NODES = 10
SLOTS = mix.slots(NODES)
SEED = 5
CYCLE_SECONDS = 1.0  # the wall time of one cycle that the rate below asks for
DURATION = 8.0


def frames_per_cycle():
    """Each node's cycle length, in frames: they differ from node to node in this mix."""
    peers = [peer_id(SEED, index) for index in range(4)]
    return [
        len(script_of("lifecycles", 0, 341, peers, index, NODES).events) for index in range(NODES)
    ]


def test_nodes_of_a_continuous_lifecycles_load_stay_in_the_same_cycle(database_url, tmp_path):
    frames = frames_per_cycle()
    assert len(set(frames)) > 1  # or this test would not test anything
    rate = max(frames) / CYCLE_SECONDS  # --rate: the events/s of the node with the longest cycle
    summary_path = tmp_path / "summary.json"
    with running_ingest(database_url) as (_, port, _):
        done = loadgen(
            port,
            "--mix", "lifecycles", "--nodes", str(NODES), "--rate", str(rate),
            "--duration", str(DURATION), "--seed", str(SEED),
            "--summary-json", str(summary_path),
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        summary = json.loads(summary_path.read_text())
        wait_for_rows(database_url, "SELECT count(*) FROM events", summary["events"])
    per_node = summary["per_node"]
    # Each node's rate is --rate scaled by its cycle's length over the longest's.
    offered = sum(rate * length / max(frames) for length in frames)
    assert summary["offered_rate"] == round(offered, 1)
    assert f"(offered {offered:,.0f}/s)" in done.stdout
    # Whole cycles each node sent: as many for every node, give or take the one under way.
    completed = [node["events"] // length for node, length in zip(per_node, frames)]
    assert max(completed) - min(completed) <= 1, completed
    assert min(completed) >= DURATION / CYCLE_SECONDS - 2, completed

    blocks = query(
        database_url,
        "SELECT slot, author_node_id, cardinality(had_at), "
        "(SELECT min(t) FROM unnest(had_at) t), (SELECT max(t) FROM unnest(had_at) t) "
        "FROM blocks ORDER BY slot",
    )
    first_slot = blocks[0][0]

    def cycle_of(slot):
        return (slot - first_slot) // SLOTS

    # Every block of a cycle that all nodes finished: its author (node k authors slot k of a
    # cycle), had by every node but the last-ranked one, which never gets it.
    finished = [block for block in blocks if cycle_of(block[0]) < min(completed)]
    assert len(finished) == min(completed) * SLOTS
    assert [(slot, author, had) for slot, author, had, _, _ in finished] == [
        (slot, per_node[(slot - first_slot) % SLOTS]["node_id"], NODES - 1) for slot, *_ in finished
    ]

    # Never more than one cycle apart: no node had any block of cycle c + 2 (on TART's receive
    # clock) before every node that had a block of cycle c had had it.
    # (A block that only the node that never gets it has heard of has no times.)
    had = [(slot, earliest, latest) for slot, _, _, earliest, latest in blocks if earliest]
    first_had, last_had = {}, {}
    for slot, earliest, latest in had:
        cycle = cycle_of(slot)
        first_had[cycle] = min(earliest, first_had.get(cycle, earliest))
        last_had[cycle] = max(latest, last_had.get(cycle, latest))
    overlaps = {
        cycle: (last_had[cycle] - first_had[cycle + 2]).total_seconds()
        for cycle in last_had
        if cycle + 2 in first_had and last_had[cycle] >= first_had[cycle + 2]
    }
    assert overlaps == {}
    # So the spread /api/blocks shows (first node to last on the receive clock) stays within
    # one cycle's wall time for every block.
    spreads = {slot: latest - earliest for slot, earliest, latest in had}
    widest = max(spreads, key=spreads.get)
    assert spreads[widest] < timedelta(seconds=CYCLE_SECONDS), (widest, spreads[widest])
