"""The `lifecycles` mix: whole block and work-package lifecycles across the simulated nodes, at
delays known exactly on the nodes' clocks, so tests can predict TART's propagation spreads and
work-package funnel.

A cycle covers SLOTS slots (fewer with fewer nodes). Node k authors the block of slot k of the
cycle; a node r places after the author (rank r = (index − k) mod nodes) begins importing it
IMPORT_STEP_US × min(r, IMPORT_RANKS) after the slot starts, except that, with three nodes or
more, the last-ranked node only hears of it and its block request fails. The author is also the
primary guarantor of the slot's work-package, the next two ranks its secondaries; the package
of every FAILING_EVERY-th slot fails authorization at the primary. A new header and
work-package hash every slot (:class:`Hash`); slots follow the cycle (:class:`CycleSlot`), not
the clock, so that node times and slots agree however fast the cycle is sent.
"""

from tart.loadgen.parts import (
    AUTHORIZED_COST,
    REFINE_COSTS,
    CycleSlot,
    Hash,
    guarantee,
    package,
    report,
)

SLOTS = 8
IMPORT_STEP_US = 100_000
IMPORT_RANKS = 9
FAILING_EVERY = 4
FAILURE_REASON = "authorization failed"
SEND_FAILURE_REASON = "connection reset"
BLOCK_REQUEST_FAILURE = "timed out"
SUBMITTED_US = 1_000_000  # into the slot, when the builder submits the work-package
# When each stage happens, µs after the primary's submission / a secondary's "being shared".
PRIMARY_STEPS = {
    "received": 10_000,
    "authorized": 30_000,
    "refined": 80_000,
    "report_built": 100_000,
    "guarantee_built": 150_000,
    "guarantee_sent": 160_000,
    "distributed": 170_000,
}
SHARED_US = 105_000  # after the submission, when the secondaries are shared the package
SECONDARY_STEPS = {
    "received": 5_000,
    "authorized": 15_000,
    "refined": 25_000,
    "report_built": 35_000,
    "signature_sent": 40_000,
}


def slots(nodes: int) -> int:
    """Slots in a cycle: one authored by each of the first nodes."""
    return min(nodes, SLOTS)


def rank(index: int, slot: int, nodes: int) -> int:
    """How many places after the author of `slot` (of the cycle) node `index` comes."""
    return (index - slot) % nodes


def misses(index: int, slot: int, nodes: int) -> bool:
    """Whether node `index` never gets the block of `slot`."""
    return nodes >= 3 and rank(index, slot, nodes) == nodes - 1


def had_after_us(index: int, slot: int, nodes: int) -> int | None:
    """µs after the slot's start at which node `index` has the block (None: never)."""
    if misses(index, slot, nodes):
        return None
    return IMPORT_STEP_US * min(rank(index, slot, nodes), IMPORT_RANKS)


def fails(slot: int) -> bool:
    """Whether the work-package of `slot` (of the cycle) fails authorization."""
    return slot % FAILING_EVERY == FAILING_EVERY - 1


def lifecycles(script):
    script.slots_per_cycle = slots(script.nodes)
    for slot in range(script.slots_per_cycle):
        _block(script, slot)
        _work_package(script, slot)


def _block(script, slot):
    index, nodes, peers = script.index, script.nodes, script.peers
    header = Hash("block", slot)
    parent = Hash("block", (slot - 1) % script.slots_per_cycle)
    at = CycleSlot(slot)
    outline = {
        "size": 18_000,
        "hash": header,
        "num_tickets": 0,
        "num_preimages": 0,
        "preimages_size": 0,
        "num_guarantees": 1,
        "num_assurances": 3,
        "num_dispute_verdicts": 0,
    }
    if rank(index, slot, nodes) == 0:
        authoring = script.emit("Authoring", {"slot": at, "parent": parent}, at=(at, 0))
        script.emit("Authored", {"authoring_id": authoring, "outline": outline}, at=(at, 0))
        script.emit(
            "BlockExecuted",
            {"authoring_or_importing_id": authoring, "accumulated": []},
            at=(at, 10_000),
        )
        announced = {"peer_id": peers[1], "announcer": "Local", "slot": at, "hash": header}
        script.emit("BlockAnnounced", announced, at=(at, 12_000))
        return
    delay = IMPORT_STEP_US * min(rank(index, slot, nodes), IMPORT_RANKS)
    heard = {"peer_id": peers[0], "announcer": "Remote", "slot": at, "hash": header}
    script.emit("BlockAnnounced", heard, at=(at, delay - 20_000))
    if misses(index, slot, nodes):
        request = script.emit(
            "SendingBlockRequest",
            {
                "recipient": peers[0],
                "hash": header,
                "direction": "DescendingInclusive",
                "max_blocks": 1,
            },
            at=(at, delay),
        )
        script.emit(
            "BlockRequestFailed",
            {"request_id": request, "reason": BLOCK_REQUEST_FAILURE},
            at=(at, delay + 5_000),
        )
        script.emit("BlockAnnounced", {**heard, "peer_id": peers[2]}, at=(at, delay + 10_000))
        return
    importing = script.emit("Importing", {"slot": at, "outline": outline}, at=(at, delay))
    script.emit("BlockVerified", {"importing_id": importing}, at=(at, delay + 5_000))
    script.emit(
        "BlockExecuted",
        {"authoring_or_importing_id": importing, "accumulated": []},
        at=(at, delay + 10_000),
    )


def _work_package(script, slot):
    position = rank(script.index, slot, script.nodes)
    if position == 0:
        _primary(script, slot)
    elif position in (1, 2) and script.nodes >= 3 and not fails(slot):
        _secondary(script, slot)


def _primary(script, slot):
    builder, first, second = script.peers[3], script.peers[0], script.peers[1]
    at = CycleSlot(slot)

    def when(step):
        return (at, SUBMITTED_US + PRIMARY_STEPS.get(step, 0))

    submission = script.emit(
        "WorkPackageSubmission", {"builder": builder, "ce_146": False}, at=when("submitted")
    )
    received = {
        "submission_or_share_id": submission,
        "core": slot % script.core_count,
        "outline": package(Hash("work-package", slot), CycleSlot(slot - 4)),
    }
    script.emit("WorkPackageReceived", received, at=when("received"))
    if fails(slot):
        script.emit(
            "WorkPackageFailed",
            {"submission_or_share_id": submission, "reason": FAILURE_REASON},
            at=when("authorized"),
        )
        return
    report_hash = _common_steps(script, submission, slot, when)
    built = script.emit(
        "GuaranteeBuilt",
        {"submission_id": submission, "outline": guarantee(report_hash, at)},
        at=when("guarantee_built"),
    )
    sending = [
        script.emit(
            "SendingGuarantee",
            {"built_id": built, "recipient": recipient},
            at=when("guarantee_built"),
        )
        for recipient in (first, second)
    ]
    script.emit("GuaranteeSent", {"sending_id": sending[0]}, at=when("guarantee_sent"))
    script.emit(
        "GuaranteeSendFailed",
        {"sending_id": sending[1], "reason": SEND_FAILURE_REASON},
        at=when("guarantee_sent"),
    )
    script.emit("GuaranteesDistributed", {"submission_id": submission}, at=when("distributed"))


def _secondary(script, slot):
    at = CycleSlot(slot)

    def when(step):
        return (at, SUBMITTED_US + SHARED_US + SECONDARY_STEPS.get(step, 0))

    share = script.emit("WorkPackageBeingShared", {"primary": script.peers[0]}, at=when("shared"))
    received = {
        "submission_or_share_id": share,
        "core": slot % script.core_count,
        "outline": package(Hash("work-package", slot), CycleSlot(slot - 4)),
    }
    script.emit("WorkPackageReceived", received, at=when("received"))
    _common_steps(script, share, slot, when)
    script.emit("WorkReportSignatureSent", {"share_id": share}, at=when("signature_sent"))


def _common_steps(script, opened, slot, when):
    """Authorized, refined, report built: both roles' steps. Returns the work-report hash."""
    report_hash = Hash("work-report", slot)
    script.emit(
        "Authorized",
        {"submission_or_share_id": opened, "cost": AUTHORIZED_COST},
        at=when("authorized"),
    )
    script.emit(
        "Refined", {"submission_or_share_id": opened, "costs": REFINE_COSTS}, at=when("refined")
    )
    script.emit(
        "WorkReportBuilt",
        {"submission_or_share_id": opened, "outline": report(report_hash)},
        at=when("report_built"),
    )
    return report_hash
