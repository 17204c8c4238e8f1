"""The event mixes a simulated node sends, each written as one cycle of events that repeats.

A mix is a function that emits a cycle onto a :class:`Script`. Events that refer to earlier
events carry the :class:`Ref` that ``emit`` returned for them; slots are :class:`Slot` offsets
from the current slot. IDs are shifted on every repetition of the cycle, so a node can repeat a
cycle for hours and every ID still points at the event it means, per JIP-3 numbering: first
event 0, +1 per event, +N after Dropped(N). Slots follow the clock as the frames are sent (see
``frames.py``), so every node of a network reports the JAM slot of the moment.
"""

import random

from construct import Renamed

from tart.loadgen.lifecycles import lifecycles
from tart.loadgen.parts import (
    AUTHORIZED_COST,
    REFINE_COSTS,
    Script,
    Slot,
    guarantee,
    hash_of,
    package,
    report,
)
from tart.protocol import EVENTS_BY_VERSION, REFERENCES_BY_VERSION
from tart.protocol.composites import Option, Record, Vec
from tart.protocol.samples import sample

# GRANDPA finality trails the best block by a couple of slots.
FINALITY_LAG = 2


# =============================================================================================
# status: what every node reports all the time
# =============================================================================================
def status(script):
    cores = script.core_count
    status_fields = {
        "num_peers": 1022,
        "num_val_peers": 1019,
        "num_sync_peers": 1022,
        "num_guarantees": [core % 3 for core in range(cores)],
        "num_shards": 4096,
        "shards_size": 4096 * 684,
        "num_preimages": 3,
        "preimages_size": 1536,
    }
    script.emit("Status", status_fields)
    script.emit("BestBlockChanged", {"slot": Slot(0), "hash": hash_of("block", 0)})
    script.emit("Status", status_fields)
    script.emit(
        "FinalizedBlockChanged",
        {"slot": Slot(-FINALITY_LAG), "hash": hash_of("block", -FINALITY_LAG)},
    )


# =============================================================================================
# network: peers connecting, opening block announcement streams, announcing, leaving
# =============================================================================================
def network(script):
    inbound, outbound, unreachable = script.peers[:3]
    connecting_in = script.emit("ConnectingIn", {"from": {"address": "10.0.0.2", "port": 30333}})
    script.emit("ConnectedIn", {"connecting_id": connecting_in, "peer_id": inbound})
    opened_in = script.emit(
        "BlockAnnouncementStreamOpened", {"peer_id": inbound, "opener": "Remote"}
    )
    connecting_out = script.emit(
        "ConnectingOut", {"peer_id": outbound, "address": {"address": "2001:db8::3", "port": 30333}}
    )
    script.emit("ConnectedOut", {"connecting_id": connecting_out})
    opened_out = script.emit(
        "BlockAnnouncementStreamOpened", {"peer_id": outbound, "opener": "Local"}
    )
    for peer in (inbound, outbound):
        script.emit(
            "BlockAnnounced",
            {"peer_id": peer, "announcer": "Remote", "slot": Slot(0), "hash": hash_of("block", 0)},
        )
    failing_out = script.emit(
        "ConnectingOut",
        {"peer_id": unreachable, "address": {"address": "2001:db8::4", "port": 30333}},
    )
    script.emit("ConnectOutFailed", {"connecting_id": failing_out, "reason": "timed out"})
    script.emit("ConnectionRefused", {"from": {"address": "192.0.2.7", "port": 40123}})
    for peer, opened, closer in ((inbound, opened_in, "Remote"), (outbound, opened_out, "Local")):
        # Protocol version 1 names the stream by the event that opened it, version 0 by peer.
        first = {"opened_id": opened} if script.protocol_version == 1 else {"peer_id": peer}
        script.emit(
            "BlockAnnouncementStreamClosed",
            {**first, "closer": closer, "reason": "peer going offline"},
        )
        script.emit("Disconnected", {"peer_id": peer, "terminator": closer, "reason": "shutdown"})


# =============================================================================================
# pipeline: a primary guarantor takes one work-package from submission to distribution
# =============================================================================================
def pipeline(script):
    builder, *guarantors = script.peers[:4]
    secondaries = guarantors[:2]
    core = 7
    submission = script.emit("WorkPackageSubmission", {"builder": builder, "ce_146": False})
    script.emit(
        "WorkPackageReceived",
        {
            "submission_or_share_id": submission,
            "core": core,
            "outline": package(hash_of("work-package"), Slot(-4)),
        },
    )
    script.emit("Authorized", {"submission_or_share_id": submission, "cost": AUTHORIZED_COST})
    script.emit("ExtrinsicDataReceived", {"submission_or_share_id": submission})
    script.emit("ImportsReceived", {"submission_or_share_id": submission})
    script.emit("Refined", {"submission_or_share_id": submission, "costs": REFINE_COSTS})
    script.emit(
        "WorkReportBuilt",
        {"submission_or_share_id": submission, "outline": report(hash_of("work-report"))},
    )
    for secondary in secondaries:
        script.emit("SharingWorkPackage", {"submission_id": submission, "secondary": secondary})
    for secondary in secondaries:
        script.emit("BundleSent", {"submission_id": submission, "secondary": secondary})
    for secondary in secondaries:
        script.emit(
            "WorkReportSignatureReceived", {"submission_id": submission, "secondary": secondary}
        )
    built = script.emit(
        "GuaranteeBuilt",
        {"submission_id": submission, "outline": guarantee(hash_of("work-report"), Slot(0))},
    )
    sending = [
        script.emit("SendingGuarantee", {"built_id": built, "recipient": recipient})
        for recipient in guarantors
    ]
    for sending_id in sending:
        script.emit("GuaranteeSent", {"sending_id": sending_id})
    script.emit("GuaranteesDistributed", {"submission_id": submission})


# =============================================================================================
# all: every event of the protocol version once, with values made from its definition
# =============================================================================================
def every_event(script):
    table = EVENTS_BY_VERSION[script.protocol_version]
    references = REFERENCES_BY_VERSION[script.protocol_version]
    rng = random.Random(0)  # the same values every run
    latest = {}  # discriminator → Ref of its latest emission
    previous = None
    for discriminator, event in sorted(table.items()):
        fields = {}
        for field in event.subcons:
            if field.name in references.get(discriminator, {}):
                # The latest earlier event of a kind the field may name.
                kinds = references[discriminator][field.name]
                fields[field.name] = max(
                    (latest[kind] for kind in kinds if kind in latest),
                    key=lambda ref: ref.event_id,
                )
            elif _is_event_id(field):
                fields[field.name] = previous  # the spec names no kind yet ("auditing event")
            else:
                value = sample(field, script.core_count, rng)
                lag = FINALITY_LAG if event.event_name == "FinalizedBlockChanged" else 0
                fields[field.name] = _current_slots(field, value, -lag)
        if discriminator == 0:
            # Dropped(3): the numbering jumps, as it does in a node under load.
            fields["num_dropped"] = 3
        previous = latest[discriminator] = script.emit(event.event_name, fields)


def _is_event_id(con):
    return _is_type(con, "Event ID")


def _is_type(con, name):
    while isinstance(con, Renamed):
        if con.name == name:
            return True
        con = con.subcon
    return False


def _current_slots(con, value, offset):
    """`value` (a sample of `con`) with every Slot in it the current slot plus `offset`: a
    random u32 would put the network's best block decades ahead."""
    if _is_type(con, "Slot"):
        return Slot(offset)
    while isinstance(con, Renamed):
        con = con.subcon
    if isinstance(con, Record):
        return {sc.name: _current_slots(sc, value[sc.name], offset) for sc in con.subcons}
    if isinstance(con, Vec):
        return [_current_slots(con.subcon, item, offset) for item in value]
    if isinstance(con, Option) and value is not None:
        return _current_slots(con.subcon, value, offset)
    return value


MIXES = {
    "status": status,
    "network": network,
    "pipeline": pipeline,
    "lifecycles": lifecycles,
    "all": every_event,
}
# Mixes whose cycle differs from node to node.
PER_NODE = frozenset({"lifecycles"})


def script_of(mix, protocol_version, core_count, peers, index=0, nodes=1):
    """The cycle of `mix` for node `index` of `nodes`, of this protocol version and core
    count."""
    script = Script(protocol_version, core_count, peers, index=index, nodes=nodes)
    MIXES[mix](script)
    return script
