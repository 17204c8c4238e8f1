"""Block propagation: GET /api/blocks and GET /api/blocks/<slot-or-hash>.

Read from the `blocks` and `block_sightings` tables that a trigger on `events` keeps
(schema/016_block_propagation.sql), never the events: the list reads one row per block, a
block's details one row per node. A node *had* a block from the first of its authored, received
(block transferred), importing and imported (block executed) events for it. The spread is the time
from the first node having it until ⌈p·N⌉ of the N nodes that had it did, for p = 50, 90, 99
and 100 %, on TART's receive clock and, separately, on the nodes' own clocks (not trusted to
agree with each other; shown because it excludes the network path to TART).
"""

import re

import orjson
from flask import Blueprint, request

from tart.web import filters
from tart.web.api.page_cache import kept
from tart.web.db import pool
from tart.web.errors import ApiError
from tart.web.event_json import utc
from tart.web.live import changes

blueprint = Blueprint("blocks", __name__, url_prefix="/api")

# The list is kept this long by each web worker (tart.web.api.page_cache): dashboards poll it,
# and it costs PostgreSQL milliseconds; a second's delay hides a block or package only briefly.
LIST_LIFETIME = 1.0
# A block's page is kept until a commit changes that block (by slot: a block of that slot), and at
# most this long for what no commit announces (sessions opening, a node's new implementation name).
DETAILS_LIFETIME = 5.0

PERCENTILES = (50, 90, 99, 100)
# A node connected at any time in the slot after a block was first seen should have had it:
# JAM's slot period, seconds.
CONNECTED_WITHIN = 6
MAX_SLOT = 2**32 - 1
_SLOT = re.compile(r"[0-9]{1,10}")
_HASH = re.compile(r"(0[xX])?[0-9a-fA-F]{64}")
_KINDS = ("authored", "announced", "received", "importing", "imported")

# When a sighting's node had the block, on each clock.
_HAD_AT = "least(s.authored_at, s.received_at, s.importing_at, s.imported_at)"
_HAD_TIME = "least(s.authored_time, s.received_time, s.importing_time, s.imported_time)"
_FRACTIONS = "ARRAY[" + ",".join(str(p / 100) for p in PERCENTILES) + "]"


# A block, its counts, and the first and percentile times of having it on each clock, from the
# arrays the trigger appends each node's first sign of having it to: one row per block.
_BLOCK_COLUMNS = f"""header_hash, slot, author_node_id, {utc("first_seen_at")},
reporting_nodes, cardinality(had_at),
(SELECT min(t) FROM unnest(had_at) t),
(SELECT percentile_disc({_FRACTIONS}) WITHIN GROUP (ORDER BY t) FROM unnest(had_at) t),
(SELECT min(t) FROM unnest(had_time) t),
(SELECT percentile_disc({_FRACTIONS}) WITHIN GROUP (ORDER BY t) FROM unnest(had_time) t)"""


@blueprint.get("/blocks")
@kept(LIST_LIFETIME, until_commit=False)
def list_blocks():
    limit = filters.limit(request.args.get("limit"))
    blocks = pool().prepared(
        f"SELECT {_BLOCK_COLUMNS} FROM blocks ORDER BY slot DESC NULLS LAST, header_hash LIMIT $1",
        (limit,),
    )
    return {"blocks": [_block(row) for row in blocks]}


def _which(block) -> tuple[int | None, str | None]:
    """(slot, None) or (None, header hash) of a block asked for by slot or by hash."""
    if _SLOT.fullmatch(block) and int(block) <= MAX_SLOT:
        return int(block), None
    if _HASH.fullmatch(block):
        return None, "0x" + block.lower().removeprefix("0x")
    raise ApiError(
        400,
        f"a block is a slot (a whole number from 0 to {MAX_SLOT}) or a header hash "
        f"(64 hexadecimal characters, optionally prefixed with 0x)",
        parameter="block",
        value=block,
    )


def _subject(block) -> str:
    slot, header_hash = _which(block)
    return changes.block(header_hash) if slot is None else changes.slot(slot)


@blueprint.get("/blocks/<block>")
@kept(DETAILS_LIFETIME, subject=_subject)
def block_details(block):
    slot, header_hash = _which(block)
    if slot is not None:
        rows = pool().prepared(_DETAILS + "WHERE slot = $1 ORDER BY header_hash", (slot,))
    else:
        rows = pool().prepared(_DETAILS + "WHERE header_hash = $1", (header_hash,))
    if not rows:
        raise ApiError(404, "no node has reported this block", block=block)
    return {
        "blocks": [
            {**_block(row), "nodes": orjson.Fragment(nodes), "never_had": orjson.Fragment(never)}
            for *row, nodes, never in rows
        ]
    }


def _block(row) -> dict:
    header_hash, slot, author, first_seen_at, reporting, had, at_first, at_times = row[:8]
    time_first, node_times = row[8:]
    return {
        "header_hash": header_hash,
        "slot": slot,
        "author_node_id": author,
        "first_seen_at": first_seen_at,
        "reporting_nodes": reporting,
        "nodes_had": had,
        "spread_ms": _percentiles(at_first, at_times),
        "spread_node_ms": _percentiles(time_first, node_times),
    }


def _percentiles(first, times) -> dict:
    """{"p50": ms after `first`, ...}; nulls when no node had it."""
    return {
        f"p{p}": None if first is None else round((time - first).total_seconds() * 1000, 3)
        for p, time in zip(PERCENTILES, times or [None] * len(PERCENTILES))
    }


# Each reporting node's times, and the nodes that never had the block though connected within
# CONNECTED_WITHIN of its first sighting, as JSON built by PostgreSQL: a block has a row per node,
# and rendering them in the worker cost it more than the queries. Each node's object is a row of
# a LATERAL subquery, named by its columns: 7 % less JSON to send and embed than that of
# json_build_object, which puts spaces around every colon.
_NODE_FIELDS = ", ".join(
    f"{utc(f's.{kind}_{clock}')} AS {kind}_{clock}" for kind in _KINDS for clock in ("at", "time")
)
_NODES = f"""(SELECT coalesce(json_agg(j ORDER BY {_HAD_AT} NULLS LAST, s.node_id), '[]')
FROM block_sightings s LEFT JOIN known_nodes n USING (node_id),
LATERAL (SELECT s.node_id, n.implementation_name, {_NODE_FIELDS},
{utc(_HAD_AT)} AS had_at, {utc(_HAD_TIME)} AS had_time, s.failure) j
WHERE s.header_hash = blocks.header_hash)::text"""
_NEVER_HAD = f"""(SELECT coalesce(json_agg(json_build_object(
'node_id', n.node_id, 'implementation_name', n.implementation_name) ORDER BY n.node_id), '[]')
FROM known_nodes n
WHERE EXISTS (SELECT 1 FROM sessions x WHERE x.node_id = n.node_id
AND x.opened_at <= blocks.first_seen_at + interval '{CONNECTED_WITHIN} seconds'
AND (x.closed_at IS NULL OR x.closed_at >= blocks.first_seen_at))
AND NOT EXISTS (SELECT 1 FROM block_sightings s WHERE s.header_hash = blocks.header_hash
AND s.node_id = n.node_id AND {_HAD_AT} IS NOT NULL))::text"""
_DETAILS = f"SELECT {_BLOCK_COLUMNS}, {_NODES}, {_NEVER_HAD} FROM blocks "
