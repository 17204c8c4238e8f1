"""JIP-3 "Availability distribution events"."""

from tart.protocol.events.event import Corresponding, Event
from tart.protocol.primitives import CoreBitfield
from tart.protocol.types import ErasureRoot, HeaderHash, PeerId, Reason, ShardIndex

SendingShardRequest = Event(
    120,
    "Sending shard request",
    "Emitted when an assurer begins sending a shard request to a guarantor (CE 137).",
    "guarantor" / PeerId,
    "erasure_root" / ErasureRoot,
    "shard" / ShardIndex,
)

ReceivingShardRequest = Event(
    121,
    "Receiving shard request",
    "Emitted by the recipient when an assurer begins sending a shard request (CE 137).",
    "assurer" / PeerId,
)

ShardRequestFailed = Event(
    122,
    "Shard request failed",
    (
        "Emitted when a shard request fails (CE 137). This should be emitted by both sides, ie the "
        "assurer and the guarantor."
    ),
    "request_id" / Corresponding("sending shard request", "receiving shard request"),
    "reason" / Reason,
)

ShardRequestSent = Event(
    123,
    "Shard request sent",
    (
        "Emitted once a shard request has been sent to a guarantor (CE 137). This should be "
        "emitted after the initial message containing the request details has been transmitted."
    ),
    "request_id" / Corresponding("sending shard request"),
)

ShardRequestReceived = Event(
    124,
    "Shard request received",
    "Emitted once a shard request has been received from an assurer (CE 137).",
    "request_id" / Corresponding("receiving shard request"),
    "erasure_root" / ErasureRoot,
    "shard" / ShardIndex,
)

ShardsTransferred = Event(
    125,
    "Shards transferred",
    (
        "Emitted when a shard request completes successfully (CE 137). This should be emitted by "
        "both sides, ie the assurer and the guarantor."
    ),
    "request_id" / Corresponding("sending shard request", "receiving shard request"),
)

DistributingAssurance = Event(
    126,
    "Distributing assurance",
    (
        "Emitted when an assurer begins distributing an assurance to other validators, for "
        "potential inclusion in a block."
    ),
    "anchor" / HeaderHash * "Assurance anchor",
    "availability" / CoreBitfield() * "Availability bitfield; one bit per core",
)

AssuranceSendFailed = Event(
    127,
    "Assurance send failed",
    "Emitted when an assurer fails to send an assurance to another validator (CE 141).",
    "distributing_id" / Corresponding("distributing assurance"),
    "recipient" / PeerId,
    "reason" / Reason,
)

AssuranceSent = Event(
    128,
    "Assurance sent",
    "Emitted by assurers after sending an assurance to another validator (CE 141).",
    "distributing_id" / Corresponding("distributing assurance"),
    "recipient" / PeerId,
)

AssuranceDistributed = Event(
    129,
    "Assurance distributed",
    (
        "Emitted once an assurer has finished distributing an assurance. This event should be "
        "emitted even if the assurer was not successful in sending the assurance to any other "
        'validator. The success of the distribution should be determined by the "assurance send '
        'failed" and "assurance sent" events emitted by the assurer, as well as the "assurance '
        'receive failed" and "assurance received" events emitted by the recipient validators.'
    ),
    "distributing_id" / Corresponding("distributing assurance"),
)

AssuranceReceiveFailed = Event(
    130,
    "Assurance receive failed",
    "Emitted when a validator fails to receive an assurance from a peer (CE 141).",
    "sender" / PeerId,
    "reason" / Reason,
)

AssuranceReceived = Event(
    131,
    "Assurance received",
    (
        "Emitted when an assurance is received from a peer (CE 141). This should be emitted as "
        "soon as the assurance is received, before checking if it is valid. If the assurance is "
        'found to be invalid, a "peer misbehaved" event should be emitted.'
    ),
    "sender" / PeerId,
    "anchor" / HeaderHash * "Assurance anchor",
)
