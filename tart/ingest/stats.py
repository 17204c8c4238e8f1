"""This process's counters, as the web process reads them from ``ingest_stats`` for /metrics.

Ingest and web share nothing but PostgreSQL, so each ingest process upserts its row about once a
second: counters only ever grow per row, gauges are read from recently updated rows.
"""

import bisect
import os
import socket
import time
import uuid
from collections import Counter
from collections.abc import Sequence

import orjson
import psycopg2.extensions

# Why an event was not stored (rate limiting aside, which is counted on its own).
REJECTED_BY_DATABASE = "rejected by database"  # kept as a decode error instead
REFUSED_WITH_ITS_DECODE_ERROR = "refused by PostgreSQL, with its decode error"
DECODE_ERROR_NOT_STORABLE = "decode error not storable"
NOT_STORED_AT_SHUTDOWN = "not stored at shutdown"  # the database did not come back in time
DROP_REASONS = (
    REJECTED_BY_DATABASE,
    REFUSED_WITH_ITS_DECODE_ERROR,
    DECODE_ERROR_NOT_STORABLE,
    NOT_STORED_AT_SHUTDOWN,
)

# Upper bounds (seconds) of the batch write duration histogram.
BATCH_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


class Histogram:
    def __init__(self, bounds: Sequence[float]):
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.sum += value

    def quantile(self, q: float) -> float | None:
        """The upper bound of the bucket holding the q-quantile (None before any observation)."""
        total = sum(self.counts)
        if not total:
            return None
        rank, seen = q * total, 0
        for bound, count in zip((*self.bounds, float("inf")), self.counts):
            seen += count
            if seen >= rank:
                return bound
        return float("inf")

    def as_json(self) -> dict:
        buckets, seen = {}, 0
        for bound, count in zip(self.bounds, self.counts):
            seen += count
            buckets[f"{bound:g}"] = seen
        buckets["+Inf"] = seen + self.counts[-1]
        return {"buckets": buckets, "sum": self.sum, "count": buckets["+Inf"]}


class IngestStats:
    """Counters of one ingest process. Events not stored are counted by reason."""

    def __init__(self):
        self.process_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.started_at = time.time()
        self.active_connections = 0
        self.connections_total = 0
        self.connections_rejected = 0
        self.events_received = 0
        self.events_stored = 0
        self.events_stored_by_type = Counter()  # discriminator → events stored
        self.events_rate_limited = 0
        self.events_undecodable = 0
        self.event_ids_wrapped = 0  # Dropped events that took a session's IDs past 2**64
        self.dropped = {}  # reason → events not stored for it (rate limiting aside)
        self.batches_written = 0
        self.last_write_at = None  # Unix seconds of the last committed batch
        self.writer_errors = 0  # database errors the writer waited out
        self.greenlet_failures = {}  # supervised greenlet → failures (the Supervisor's)
        self.queue_capacity = 0
        self.batch_write_duration = Histogram(BATCH_BUCKETS)
        self.buffer_pending = lambda: 0
        self.database_pool_connections = 0

    def drop(self, reason: str, count: int = 1) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + count

    def counters(self) -> dict:
        return {
            "started_at": self.started_at,
            "active_connections": self.active_connections,
            "connections_total": self.connections_total,
            "connections_rejected": self.connections_rejected,
            "events_received": self.events_received,
            "events_stored": self.events_stored,
            "events_stored_by_type": {
                str(kind): count for kind, count in self.events_stored_by_type.items()
            },
            "events_dropped": sum(self.dropped.values()),
            "events_dropped_by_reason": self.dropped,
            "events_rate_limited": self.events_rate_limited,
            "events_undecodable": self.events_undecodable,
            "event_ids_wrapped": self.event_ids_wrapped,
            "buffer_pending": self.buffer_pending(),
            "database_pool_connections": self.database_pool_connections,
            "batches_written": self.batches_written,
            "last_write_at": self.last_write_at,
            "writer_errors": self.writer_errors,
            "greenlet_failures": dict(self.greenlet_failures),
            "queue_capacity": self.queue_capacity,
            "batch_write_duration": self.batch_write_duration.as_json(),
        }

    def report(self, cur: psycopg2.extensions.cursor) -> None:
        """Upsert this process's row; its updated_at is also this process's heartbeat."""
        cur.execute(
            "INSERT INTO ingest_stats (process_id, host, pid, started_at, updated_at, counters)"
            " VALUES (%s, %s, %s, now(), now(), %s)"
            " ON CONFLICT (process_id) DO UPDATE"
            " SET updated_at = now(), counters = EXCLUDED.counters",
            (
                self.process_id,
                socket.gethostname(),
                os.getpid(),
                orjson.dumps(self.counters()).decode(),
            ),
        )
