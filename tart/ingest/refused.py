"""Storing a batch that PostgreSQL refuses, whatever it takes, losing no more than the row it
refuses.

A *row error* — PostgreSQL refuses something a statement holds (a value out of range, a
constraint), or TART's own code fails on it — would happen again with the same rows. The batch
is halved until the row is found; it is kept as a decode error instead, its batch-mates are
written. If even its decode error is refused, it is counted as dropped, with the reason.
"""

import logging

from tart.db.connect import first_line
from tart.db.errors import is_row_error
from tart.ingest.counters import Counters
from tart.ingest.items import Event, Undecodable
from tart.ingest.lane import Batch, Lane
from tart.ingest.stats import (
    DECODE_ERROR_NOT_STORABLE,
    REFUSED_WITH_ITS_DECODE_ERROR,
    REJECTED_BY_DATABASE,
    IngestStats,
)

log = logging.getLogger(__name__)


def store(lane: Lane, batch: Batch, stats: IngestStats) -> tuple[list, list]:
    """Commit `batch` on `lane` without gates: the events and errors stored."""
    try:
        lane.commit_retrying(batch)
    except Exception as error:
        if not is_row_error(error):
            raise
        return _split(lane, batch, error, stats)
    return batch.events, batch.errors


def _split(lane, batch, error, stats):
    """`batch` has a row PostgreSQL refuses: store its counters on their own and its items
    in halves, down to the row, which is set aside."""
    batch.split = True
    if batch.counters:
        _store_counters(lane, batch)
    items = batch.items
    if not items:
        return [], []
    if len(items) == 1:
        return _reject(lane, batch, error, stats)
    middle = len(items) // 2
    stored = [
        store(lane, Batch(batch.number, part, Counters()), stats)
        for part in (items[:middle], items[middle:])
    ]
    return stored[0][0] + stored[1][0], stored[0][1] + stored[1][1]


def _store_counters(lane, batch):
    counters = Batch(batch.number, [], batch.counters)
    batch.counters = Counters()
    try:
        lane.commit_retrying(counters)
    except Exception as error:
        if not is_row_error(error):
            raise
        # Counts of events that are stored: the events table still has them all.
        log.error("node and session counters refused, not written: %s", first_line(error))


def _reject(lane, batch, error, stats):
    """A single row PostgreSQL will not take: keep an event's frame as a decode error instead;
    the events and errors stored."""
    reason = "rejected by PostgreSQL: " + first_line(error)
    log.warning("%s", reason)
    (item,) = batch.items
    if type(item) is Event:
        rejected = Undecodable(
            item.session, item.event_id, _Rejected(reason, item), item.received, item.frame
        )
        try:
            lane.commit_retrying(Batch(batch.number, [rejected], Counters()))
        except Exception as error:
            if not is_row_error(error):
                raise
            stats.drop(REFUSED_WITH_ITS_DECODE_ERROR)
            log.error("decode error refused too: %s", first_line(error))
            return [], []
        stats.drop(REJECTED_BY_DATABASE)
        return [], [rejected]
    stats.drop(DECODE_ERROR_NOT_STORABLE)
    return [], []


class _Rejected:
    """The DecodeError-like record of an event PostgreSQL refused."""

    def __init__(self, reason, event):
        self.reason = reason
        self.discriminator = event.discriminator
        self.event_name = next(iter(event.data))
        self.field_path = None
        self.offset = None
