"""The per-node and per-session counters the writer keeps, written about once a second.

A node's row holds its events stored (in all and by type), its frames that did not decode, when
it was last seen and its best and finalized block; a session's row its events stored and
undecodable and when it was last seen, written with the node's so that its sessions add up to
its row. Adding each batch's counts to those rows in the batch's own transaction cost
PostgreSQL two row updates for nearly every event once 1,024 nodes each had an event or two in
each batch: more work than the inserts. So the writer adds the counts of committed batches up
here, and each batch carries the updates of the nodes pending longest — about a
COUNTERS_INTERVAL's share of them, so that every node is written about once per interval and
no batch carries them all. When the queue goes quiet, or ingest stops, everything pending is
written.

The counters therefore trail the events table by up to about COUNTERS_INTERVAL under load, and
an ingest process that is killed loses the part not yet written (the events are all stored).
"""

import math
from collections import Counter, OrderedDict
from operator import attrgetter

import orjson

from tart.db.literals import array, number, rows, text
from tart.ingest.items import Event, Undecodable
from tart.protocol import discriminator

COUNTERS_INTERVAL = 1.0  # seconds
BEST_BLOCK_CHANGED = discriminator("BestBlockChanged")
FINALIZED_BLOCK_CHANGED = discriminator("FinalizedBlockChanged")
_BLOCK_EVENTS = frozenset((BEST_BLOCK_CHANGED, FINALIZED_BLOCK_CHANGED))
_SESSION = attrgetter("session")

# Every transaction touching both locks sessions, then nodes, each in key order; the session
# store's transactions do too, so none of them can deadlock.
_UPDATE_SESSIONS = (
    "SELECT FROM sessions WHERE id = ANY({ids}) ORDER BY id FOR UPDATE;"
    " UPDATE sessions AS s SET events_stored = s.events_stored + v.stored,"
    " events_undecodable = s.events_undecodable + v.undecodable,"
    " last_seen_at = greatest(s.last_seen_at, to_timestamp(v.seen))"
    " FROM (VALUES {values}) AS v (id, stored, undecodable, seen) WHERE s.id = v.id"
)
# A block replaces the node's unless the node timed the one it has later: events of a node's
# successive connections may be queued out of order (the new connection's handshake can finish
# before the old one's last frames are read), and the node's own clock orders its own events.
_LATEST_BLOCK = (
    " {kind}_slot = CASE WHEN {newer} THEN v.{kind}_slot ELSE n.{kind}_slot END,"
    " {kind}_hash = CASE WHEN {newer} THEN v.{kind}_hash ELSE n.{kind}_hash END,"
    " {kind}_timestamp = CASE WHEN {newer} THEN v.{kind}_timestamp ELSE n.{kind}_timestamp END"
).replace(
    "{newer}",
    "v.{kind}_timestamp IS NOT NULL AND"
    " (n.{kind}_timestamp IS NULL OR v.{kind}_timestamp >= n.{kind}_timestamp)",
)
_UPDATE_NODES = (
    "SELECT FROM known_nodes WHERE node_id = ANY({ids}) ORDER BY node_id FOR UPDATE;"
    " UPDATE known_nodes AS n SET event_count = n.event_count + v.stored,"
    # Merged key by key over the batch's few types only, and inline: as an SQL function the
    # same merge cost PostgreSQL about three times as much per row.
    " events_by_type = n.events_by_type || coalesce((SELECT jsonb_object_agg(key,"
    " coalesce((n.events_by_type ->> key)::bigint, 0) + value::bigint)"
    " FROM jsonb_each_text(v.by_type)), '{{}}'),"
    " events_undecodable = n.events_undecodable + v.undecodable,"
    " last_seen_at = greatest(n.last_seen_at, to_timestamp(v.seen)),"
    + _LATEST_BLOCK.format(kind="best")
    + ","
    + _LATEST_BLOCK.format(kind="finalized")
    + " FROM (VALUES {values}) AS v (node_id, stored, by_type, undecodable, seen, best_slot,"
    " best_hash, best_timestamp, finalized_slot, finalized_hash, finalized_timestamp)"
    " WHERE n.node_id = v.node_id"
)


class NodeCounts:
    """A node's counts not yet written, and those of its sessions."""

    __slots__ = (
        "best",
        "best_at",
        "by_type",
        "finalized",
        "finalized_at",
        "seen",
        "sessions",
        "stored",
        "undecodable",
    )

    def __init__(self):
        self.stored = 0
        self.by_type = Counter()  # discriminator → events stored
        self.undecodable = 0
        self.seen = 0.0  # Unix seconds of the latest event stored
        self.best = self.finalized = None  # (slot, hash)
        self.best_at = self.finalized_at = None  # the node's timestamp of each
        # Session → [stored, undecodable, Unix seconds of its latest event stored or None]
        self.sessions = {}

    def add(self, later: "NodeCounts") -> None:
        self.stored += later.stored
        self.by_type.update(later.by_type)
        self.undecodable += later.undecodable
        self.seen = max(self.seen, later.seen)
        if _later(self.best_at, later.best_at):
            self.best, self.best_at = later.best, later.best_at
        if _later(self.finalized_at, later.finalized_at):
            self.finalized, self.finalized_at = later.finalized, later.finalized_at
        for session, (stored, undecodable, seen) in later.sessions.items():
            counts = self.sessions.setdefault(session, [0, 0, None])
            counts[0] += stored
            counts[1] += undecodable
            if seen is not None:
                counts[2] = seen if counts[2] is None else max(counts[2], seen)


class Counters:
    """Counts not yet written, by node id (None for sessions whose node never identified),
    oldest pending first."""

    def __init__(self):
        self.nodes = OrderedDict()

    def __bool__(self):
        return bool(self.nodes)

    @classmethod
    def of_batch(cls, events: list[Event], errors: list[Undecodable]) -> "Counters":
        counters = cls()
        for session, count in Counter(map(_SESSION, events)).items():
            counters._node(session.node_id).sessions[session] = [count, 0, None]
        for session, count in Counter(map(_SESSION, errors)).items():
            node = counters._node(session.node_id)
            node.sessions.setdefault(session, [0, 0, None])[1] = count
            node.undecodable += count
        for event in events:  # in arrival order
            node = counters.nodes[event.session.node_id]
            node.stored += 1
            node.by_type[event.discriminator] += 1
            node.seen = node.sessions[event.session][2] = event.received
            if event.discriminator in _BLOCK_EVENTS:
                if event.discriminator == BEST_BLOCK_CHANGED:
                    if _later(node.best_at, event.timestamp):
                        block = event.data["BestBlockChanged"]
                        node.best, node.best_at = (block["slot"], block["hash"]), event.timestamp
                elif _later(node.finalized_at, event.timestamp):
                    block = event.data["FinalizedBlockChanged"]
                    node.finalized = (block["slot"], block["hash"])
                    node.finalized_at = event.timestamp
        return counters

    def add(self, later: "Counters") -> None:
        """Take in `later`'s counts (of batches committed after these)."""
        for node_id, counts in later.nodes.items():
            self._node(node_id).add(counts)

    def take(self, share: float) -> "Counters":
        """Remove and return the `share` (0–1) of nodes pending longest."""
        taken = Counters()
        for _ in range(min(len(self.nodes), math.ceil(share * len(self.nodes)))):
            node_id, counts = self.nodes.popitem(last=False)
            taken.nodes[node_id] = counts
        return taken

    def sql(self) -> str:
        """The statements that add these counts, ``;``-separated ('' when there are none)."""
        sessions = sorted(
            (
                (session, counts)
                for node in self.nodes.values()
                for session, counts in node.sessions.items()
            ),
            key=lambda item: item[0].id,
        )
        node_ids = sorted(
            node_id
            for node_id, node in self.nodes.items()
            if node_id is not None and (node.stored or node.undecodable)
        )
        statements = []
        if sessions:
            statements.append(
                _UPDATE_SESSIONS.format(
                    ids=array((session.id for session, _ in sessions), "bigint"),
                    values=rows(
                        # Typed, since a column of only NULLs would otherwise be text.
                        (
                            number(session.id),
                            number(stored),
                            number(undecodable),
                            number(seen) + "::float8",
                        )
                        for session, (stored, undecodable, seen) in sessions
                    ),
                )
            )
        if node_ids:
            statements.append(
                _UPDATE_NODES.format(
                    ids=array(node_ids, "text"),
                    values=rows(_node_values(node_id, self.nodes[node_id]) for node_id in node_ids),
                )
            )
        return ";".join(statements)

    def _node(self, node_id):
        node = self.nodes.get(node_id)
        if node is None:
            node = self.nodes[node_id] = NodeCounts()
        return node


def _later(held_at, new_at):
    """Whether a block the node timed `new_at` replaces one timed `held_at` (None: none held,
    or none new): if not timed earlier, since it arrived later."""
    return new_at is not None and (held_at is None or new_at >= held_at)


def _node_values(node_id, node):
    best_slot, best_hash = node.best or (None, None)
    finalized_slot, finalized_hash = node.finalized or (None, None)
    # Typed, since a column of only NULLs would otherwise be text.
    by_type = orjson.dumps({str(kind): count for kind, count in node.by_type.items()})
    return (
        text(node_id),
        number(node.stored),
        text(by_type.decode()) + "::jsonb",
        number(node.undecodable),
        number(node.seen),
        number(best_slot) + "::bigint",
        text(best_hash) + "::text",
        number(node.best_at) + "::numeric",
        number(finalized_slot) + "::bigint",
        text(finalized_hash) + "::text",
        number(node.finalized_at) + "::numeric",
    )
