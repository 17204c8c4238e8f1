"""The writer: drains the queue in batches into PostgreSQL, one transaction a batch.

What a batch's transaction does is in :mod:`tart.ingest.batch`: events (``execute_values``),
undecodable frames and ``NOTIFY tart_events, '<first>,<last>'``, committed in id order across
ingest processes, so a live subscriber that has seen id N has seen every id below it; with them
go the node and session counters pending longest (:mod:`tart.ingest.counters`).

The writer is three greenlets, lanes (:mod:`tart.ingest.lane`), each with its own connection,
taking turns at the queue: batch n is collected and sent by lane n % 3. A batch never waits to
fill: it is whatever is queued (up to TART_BATCH_SIZE) when its lane may commit, which is as
soon as the batch before it has committed — so with a trickle of events each goes alone, and
batches grow only while the one before is in PostgreSQL, that is, with the load. Once a whole
batch is queued, it is sent at once to wait in PostgreSQL at its gate for its predecessor's
rows, its own parsed meanwhile (:mod:`tart.ingest.batch`): under load PostgreSQL has the next
batch ready the moment one commits. Committed batches are accounted for (counters, stats) in
batch order.

The writer never gives up on the database and never loses what it took from the queue: a lane
waits out an unavailable database; a batch with a row PostgreSQL refuses is stored in parts
(:mod:`tart.ingest.refused`). The next batch waits at the gate meanwhile, except after a lost
connection, whose gate went with it: then the next batch may be stored before the retried one.
"""

import logging
import random
import time

import gevent
import gevent.event
from gevent.queue import Empty

from tart.db.connect import first_line
from tart.db.errors import is_row_error
from tart.ingest import refused
from tart.ingest.batch import LANES
from tart.ingest.counters import COUNTERS_INTERVAL, Counters
from tart.ingest.lane import Batch, Lane

log = logging.getLogger(__name__)

# Pending counters are written on their own once nothing has been queued for this long.
COUNTERS_QUIET = 0.05
# While a batch waits for its predecessor's commit, how often it looks whether a whole batch
# is queued, to be sent ahead.
FULL_POLL = 0.001


class Writer:
    def __init__(self, queue, connect, settings, stats):
        self.queue = queue
        self._connect = connect
        self._batch_size = settings.batch_size
        self._stats = stats
        self._counters = Counters()  # of committed batches, not written yet
        self._counters_taken = time.monotonic()
        # Gate locks and progress rows are this writer's own: two-int advisory keys, apart from
        # the writers' lock.
        self._key = random.randrange(1, 2**31)
        self._turns = [gevent.event.Event() for _ in range(LANES)]
        self._collected = 0  # batches taken from the queue
        self._accounted = 0  # batches committed and accounted for
        self._accounted_changed = gevent.event.Event()
        self._stop = gevent.event.Event()
        self._stopping = False
        self.in_flight = 0  # items taken from the queue and not yet committed
        self.committed = 0  # items taken from the queue and committed, since the start
        self._sending = {}  # batch number -> (lane, batch) handed to a lane, not yet accounted

    def stop(self) -> None:
        """Finish: write what is queued, then return from run(). Nothing may be queued after."""
        self._stop.set()

    def run(self) -> None:
        """Write batches until stop() and everything queued (counters included) is committed."""
        lanes = [Lane(index, self._key, self._connect, self._stats) for index in range(LANES)]
        self._turns[0].set()
        running = [gevent.spawn(self._lane, lane) for lane in lanes]
        try:
            gevent.joinall(running, raise_error=True)
            if self._counters:
                last = Batch(self._collected, [], self._counters.take(1.0))
                refused.store(lanes[0], last, self._stats)
        finally:
            # Killed, or one lane failed: the other may be inside a query, and closing its
            # connection under it would wait for ever on psycopg2's lock, the whole process
            # with it (a shutdown without the database, an exit that must restart ingest).
            gevent.killall(running)
            for lane in lanes:
                lane.reset()

    def _lane(self, lane):
        while True:
            turn = self._turns[lane.index]
            turn.wait()
            turn.clear()
            if self._stopping:
                self._turns[(lane.index + 1) % LANES].set()
                return
            number = self._collected
            if lane.gate != number:
                lane.hold_gate(number)
            items, self._stopping = self._collect(number)
            # Counters are taken in batch order, so a node's latest block is written last.
            now = time.monotonic()
            share = (now - self._counters_taken) / COUNTERS_INTERVAL if items else 1.0
            batch = Batch(number, items, self._counters.take(share))
            self.in_flight += batch.taken
            self._counters_taken = now
            self._collected += 1
            self._turns[(lane.index + 1) % LANES].set()
            self._write(lane, batch)

    def _collect(self, number):
        """Batch `number`'s items and whether they are the last: once there is at least one
        and the batch may go (see _wait_free), whatever is queued, up to the batch size; none
        when counters are waiting to be written and the queue has gone quiet."""
        while True:
            try:
                # Polls, since the other lane's commit may leave counters pending meanwhile.
                first = self.queue.get(timeout=COUNTERS_QUIET)
                break
            except Empty:
                if self._stop.is_set() and not self.queue.qsize():
                    return [], True
                if self._counters:
                    return [], False
        self._wait_free(number - 1)
        batch = [first]
        while len(batch) < self._batch_size and self.queue.qsize():
            batch.append(self.queue.get_nowait())
        return batch, False

    def _wait_free(self, previous):
        """Wait until batch `previous` has committed, or a whole batch is queued: sent sooner,
        a batch would only wait at its gate, its write time no longer its own."""
        while self._accounted <= previous and self.queue.qsize() + 1 < self._batch_size:
            self._accounted_changed.wait(FULL_POLL)

    def _write(self, lane, batch):
        """Write `batch` through its gates; if that fails, store it another way and then let
        the next batch through."""
        started = time.perf_counter()
        self._sending[batch.number] = (lane, batch)
        try:
            lane.commit(batch, gated=True)
        except Exception as error:
            if is_row_error(error) or not lane.settle(error):
                log.warning(
                    "batch of %d failed, storing it again: %s",
                    len(batch.events) + len(batch.errors),
                    first_line(error),
                )
                batch.events, batch.errors = refused.store(lane, batch, self._stats)
            lane.hold_gate(batch.number + LANES)
        else:
            lane.gate = batch.number + LANES
        self._account(batch, time.perf_counter() - started)

    def sending(self) -> list[tuple[tuple, Batch]]:
        """The batches on their way to PostgreSQL, in batch order, each with what tells
        whether it was committed: (writer key, lane, token of its latest attempt)."""
        return [
            ((self._key, lane.index, batch.token), batch)
            for _, (lane, batch) in sorted(self._sending.items())
        ]

    def _wait_accounted(self, number):
        """Wait until batch `number` and all before it are committed and counted."""
        while self._accounted <= number:
            self._accounted_changed.wait()

    def _account(self, batch, duration):
        """Count a committed batch, after every batch before it."""
        self._wait_accounted(batch.number - 1)
        self.in_flight -= batch.taken
        self.committed += batch.taken
        self._sending.pop(batch.number, None)
        counters = Counters.of_batch(batch.events, batch.errors)
        self._counters.add(counters)
        if batch.events or batch.errors:
            self._stats.events_stored += len(batch.events)
            for node in counters.nodes.values():
                self._stats.events_stored_by_type.update(node.by_type)
            self._stats.batches_written += 1
            self._stats.batch_write_duration.observe(duration)
            self._stats.last_write_at = time.time()
        self._accounted += 1
        changed, self._accounted_changed = self._accounted_changed, gevent.event.Event()
        changed.set()
