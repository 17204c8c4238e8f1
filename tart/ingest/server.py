"""``tart ingest``: accept node connections, run their greenlets, the writer and housekeeping.

The writer and the housekeeping loops run under one Supervisor (:mod:`tart.supervision`): a
loop that fails is logged, counted and run again; if the writer itself dies, the process exits
non-zero rather than accept events it cannot store.

On SIGTERM or SIGINT: stop accepting; each connection takes what its node has sent so far,
queues it and closes its session; the writer commits the whole queue; exit 0. All of it within
TART_SHUTDOWN_TIMEOUT: if the database is away and that cannot happen, what is still queued and the
batches on their way to PostgreSQL are saved for the next start (:mod:`tart.ingest.unstored`),
which stores a sent batch only if it was not committed, and the process exits 1.
"""

import gc
import logging
import signal
import socket
import sys
import time
from typing import NoReturn

import gevent
import gevent.event
import psycopg2.extensions
from gevent import socket as green_socket
from gevent.queue import Queue
from gevent.server import StreamServer

from tart.config import Settings, parse_bind
from tart.db.connect import DatabaseUnavailable, connect, make_green
from tart.ingest import unstored
from tart.ingest.batch import progress
from tart.ingest.compaction import compact_past_partitions
from tart.ingest.connection import Closed, Draining, NodeConnection, Session
from tart.ingest.frame_budget import FrameBudget
from tart.ingest.ratelimit import RateLimiter
from tart.ingest.sessions import ConnectionPool, SessionStore
from tart.ingest.stats import NOT_STORED_AT_SHUTDOWN, IngestStats
from tart.ingest.writer import Writer
from tart.supervision import Supervisor, exit_process

log = logging.getLogger(__name__)

# Connections for sessions, nodes and the heartbeat (rare writes, not the writer's).
SESSION_POOL_SIZE = 4
HEARTBEAT_INTERVAL = 1.0
IDLE_SWEEP_INTERVAL = 1.0
# An ingest process silent this long is dead: others close the sessions it left open.
ORPHAN_SILENCE = 30.0
MAINTENANCE_INTERVAL = 3600
# Event counts are folded in from the stored events (schema/021_event_counts_folded.sql) once
# a second while fewer than FOLD_SOON events arrived since the last fold, else every
# FOLD_INTERVAL: a fold costs about one row update per (minute, node, type) it adds to, so
# under load the longer interval lets each update carry many events.
FOLD_CHECK_INTERVAL = 1.0
FOLD_SOON = 1_000
FOLD_INTERVAL = 30.0
# At shutdown, after the queue, the last counters and event counts are written in what is left
# of TART_SHUTDOWN_TIMEOUT, and get at least this long.
FINAL_REPORTS_LEAST = 1.0


class Ingest:
    """What every connection greenlet shares: settings, the queue, stores and counters."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.stats = IngestStats()
        self.queue = Queue(maxsize=settings.queue_size)
        self.stats.buffer_pending = self.queue.qsize
        self.stats.queue_capacity = settings.queue_size
        self.budget = FrameBudget(settings.partial_frame_budget)
        self.pool = ConnectionPool(self.connect, SESSION_POOL_SIZE, self.stats)
        self.sessions = SessionStore(self.pool, self.stats.process_id)
        self.limiter = RateLimiter(settings.rate_limit, settings.rate_burst)

    def connect(self) -> psycopg2.extensions.connection:
        """A database connection for ingest (the writer's, the pool's). Its commits do not wait
        for the WAL flush: an operating-system crash may lose the last fraction of a second of
        them, as it would lose the queue anyway, and a commit that waits keeps its row locks
        meanwhile (a heartbeat holding 1,024 sessions' rows through an fsync held up the
        writer's counter updates for as long)."""
        return connect(
            self.settings.database_url,
            application_name="tart-ingest",
            options="-c synchronous_commit=off",
            # A server host that vanishes is noticed in about a minute, not the kernel's hours.
            keepalives_idle=30,
            keepalives_interval=10,
            keepalives_count=3,
        )


class IngestServer:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.ingest = Ingest(settings)
        self.connections = {}  # NodeConnection → its greenlet
        self.supervisor = Supervisor(on_fatal=self._fatal)
        self.ingest.stats.greenlet_failures = self.supervisor.failures
        self.writer = Writer(self.ingest.queue, self.ingest.connect, settings, self.ingest.stats)
        self._folded = (0, time.monotonic())  # events stored at the last fold, and when
        self._server = None

    def start(self) -> None:
        self._maintain_partitions()
        self._heartbeat()
        supervise = self.supervisor
        supervise.essential("writer", self.writer.run)
        self._store_unstored()
        supervise.loop(
            "idle sweep", self._close_idle, min(IDLE_SWEEP_INTERVAL, self.settings.idle_timeout / 4)
        )
        supervise.loop("heartbeat", self._heartbeat, HEARTBEAT_INTERVAL)
        supervise.loop("partition maintenance", self._maintain_partitions, MAINTENANCE_INTERVAL)
        supervise.loop("aggregate retention", self._drop_old_counts, MAINTENANCE_INTERVAL)
        supervise.loop("event counts", self._fold_counts, FOLD_CHECK_INTERVAL)
        supervise.loop(
            "partition compaction",
            lambda: compact_past_partitions(self.ingest.connect),
            MAINTENANCE_INTERVAL,
        )
        self._server = StreamServer(listener(self.settings.telemetry_bind), self._handle)
        self._server.start()
        log.info("receiving JIP-3 telemetry on %s", self.settings.telemetry_bind)

    def _store_unstored(self):
        """Store what an earlier run read and could not store (tart.ingest.unstored), before
        any node is accepted, so that a node's events keep their order."""
        for path, held, marked in unstored.claim(self.settings.data_dir, Session):
            committed = self._committed_marks({mark for mark, _ in marked if mark})
            items = [item for mark, item in marked if mark not in committed]
            log.info(
                "storing %d items an earlier run could not (%d were committed after all), from %s",
                len(items),
                len(marked) - len(items),
                path,
            )
            done = self.writer.committed + len(items)
            for item in items:
                self.ingest.queue.put(item)
            while self.writer.committed < done:
                gevent.sleep(0.05)
            unstored.release(path, held)

    def _handle(self, sock, address):
        stats = self.ingest.stats
        if len(self.connections) >= self.settings.max_connections:
            stats.connections_rejected += 1
            log.warning(
                "refused %s: TART_MAX_CONNECTIONS (%d) reached",
                address[0],
                self.settings.max_connections,
            )
            sock.close()
            return
        stats.connections_total += 1
        stats.active_connections += 1
        connection = NodeConnection(sock, f"{address[0]}:{address[1]}", self.ingest)
        self.connections[connection] = gevent.getcurrent()
        try:
            connection.run()
        finally:
            del self.connections[connection]
            stats.active_connections -= 1

    def stop(self) -> int:
        """Stop accepting, drain connections and the queue, and wait for the last commit;
        0 if everything read was stored, else 1."""
        deadline = time.monotonic() + self.settings.shutdown_timeout
        log.info(
            "stopping: draining %d connections and %d queued events",
            len(self.connections),
            self.ingest.queue.qsize(),
        )
        self._server.close()
        self.ingest.pool.give_up_at = deadline
        for connection, greenlet in list(self.connections.items()):
            connection.drain()
            if connection.reading:
                greenlet.kill(Draining(), block=False)
        gevent.joinall(list(self.connections.values()), timeout=_left(deadline))
        stuck = list(self.connections.values())
        if stuck:
            # Waiting for a database that does not answer: the frames they hold are lost.
            log.error("%d connections could not finish: the database is not answering", len(stuck))
            gevent.killall(stuck, Closed("ingest shut down without the database"), block=False)
            gevent.joinall(stuck, timeout=1)
        self.writer.stop()
        writer = self.supervisor.greenlets["writer"]
        writer.join(timeout=_left(deadline))
        stats = self.ingest.stats
        finished = writer.ready()
        if not finished:
            self._save_unstored()
        self.supervisor.kill_all()
        # What is left of the shutdown's time, or a second: a frozen server answers neither a
        # connect nor a query, and would hold the reports for ever.
        wait = max(_left(deadline), FINAL_REPORTS_LEAST)
        silent = DatabaseUnavailable(f"no answer within {wait:.1f} s")
        try:
            with gevent.Timeout(wait, silent):
                until = time.monotonic() + wait
                self.ingest.pool.run(stats.report, until=until)
                self.ingest.pool.run(_fold, until=until)
        except Exception as error:
            log.warning("could not report final counters: %s", error)
        log.info("stopped: %d events stored", stats.events_stored)
        return 0 if finished and not stuck else 1

    def _committed_marks(self, marks: set) -> set:
        """Of the marks (writer key, lane, token) of batches sent by an earlier run, those
        whose commit happened: its lane's writer_progress reached the token."""
        if not marks:
            return set()

        def reached(cur):
            found = set()
            for key, lane, token in marks:
                cur.execute(progress(key, lane))
                row = cur.fetchone()
                if token is not None and row is not None and row[0] >= token:
                    found.add((key, lane, token))
            return found

        return self.ingest.pool.run(reached)

    def _save_unstored(self):
        """The database did not come back in time: keep for the next start what is queued and
        the batches on their way to PostgreSQL (which it will store unless they were committed);
        a batch being stored in parts is lost."""
        sent, lost = [], 0
        for mark, batch in self.writer.sending():
            if batch.split:
                lost += batch.taken
            else:
                sent.append((mark, batch.items))
        queue, queued = self.ingest.queue, []
        while queue.qsize():
            queued.append(queue.get_nowait())
        saving = sum(len(items) for _, items in sent) + len(queued)
        if saving:
            try:
                path = unstored.save(sent, queued, self.settings.data_dir)
                log.error(
                    "the database did not come back before the shutdown timeout (%g s): %d items"
                    " read were saved to %s, to be stored at the next start",
                    self.settings.shutdown_timeout,
                    saving,
                    path,
                )
            except OSError as error:
                log.error("could not save what was not stored: %s", error)
                lost += saving
        if lost:
            log.error(
                "%d events read were not stored: the database did not come back before the "
                "shutdown timeout (%g s)",
                lost,
                self.settings.shutdown_timeout,
            )
            self.ingest.stats.drop(NOT_STORED_AT_SHUTDOWN, lost)

    def _fatal(self, name, error):
        self._server.close()
        exit_process(name, error)

    def _close_idle(self):
        """Close connections whose node has sent nothing for TART_IDLE_TIMEOUT: one sweep
        instead of a timer on every read."""
        idle = self.settings.idle_timeout
        cutoff = time.time() - idle
        for connection in list(self.connections):
            if connection.last_heard < cutoff:
                connection.close_now(f"idle for {idle:g} s")

    def _heartbeat(self):
        """Report counters, update open sessions' counts, close sessions of dead processes."""
        self.ingest.pool.run(self.ingest.stats.report)
        self.ingest.sessions.update_counters([c.session for c in self.connections])
        orphans = self.ingest.sessions.close_orphans(ORPHAN_SILENCE)
        if orphans:
            log.warning("closed %d sessions left open by ingest processes that died", orphans)

    def _maintain_partitions(self):
        """Create partitions ahead of time and drop those past the retention; drop the block
        and work-package rows derived from events past the aggregates' retention; forget
        writer progress rows of writers long gone."""
        conn = self.ingest.connect()
        try:
            with conn, conn.cursor() as cur:
                cur.execute("SELECT tart_ensure_partitions(%s)", (self.settings.partitions_ahead,))
                created = [row[0] for row in cur.fetchall()]
                cur.execute("SELECT tart_drop_partitions(%s)", (self.settings.raw_retention_days,))
                dropped = [row[0] for row in cur.fetchall()]
                cur.execute(
                    "SELECT tart_prune_propagation(%s)", (self.settings.aggregate_retention_days,)
                )
                cur.execute(
                    "DELETE FROM writer_progress WHERE updated_at < now() - interval '1 day'"
                )
        finally:
            conn.close()
        if created or dropped:
            log.info("partitions created: %s; dropped: %s", created or "none", dropped or "none")

    def _fold_counts(self):
        """Add the events stored since the last fold to the event counts, when it is time."""
        stored, now = self.ingest.stats.events_stored, time.monotonic()
        if stored - self._folded[0] < FOLD_SOON or now - self._folded[1] >= FOLD_INTERVAL:
            self.ingest.pool.run(_fold)
            self._folded = stored, now

    def _drop_old_counts(self):
        """Delete event counts past their retention: by minute (event_stats_minute and, of all
        types together, event_stats_node_minute) and by hour (event_stats_hourly,
        event_stats_node_hourly)."""
        settings = self.settings
        conn = self.ingest.connect()
        try:
            with conn, conn.cursor() as cur:
                deleted = []
                for table, bucket, days in (
                    ("event_stats_minute", "minute", settings.minute_aggregate_retention_days),
                    ("event_stats_hourly", "hour", settings.aggregate_retention_days),
                    ("event_stats_node_minute", "minute", settings.minute_aggregate_retention_days),
                    ("event_stats_node_hourly", "hour", settings.aggregate_retention_days),
                ):
                    cur.execute(
                        f"DELETE FROM {table} WHERE {bucket} < now() - make_interval(days => %s)",
                        (days,),
                    )
                    deleted.append(cur.rowcount)
        finally:
            conn.close()
        if any(deleted):
            log.info(
                "event counts past retention deleted: %d by minute, %d by hour (%d and %d by node)",
                *deleted,
            )


def _fold(cur):
    cur.execute("SELECT tart_fold_event_counts()")


def _left(deadline):
    return max(0.0, deadline - time.monotonic())


def listener(bind: str) -> green_socket.socket:
    """A listening socket with SO_REUSEPORT, so several ingest processes can share the port."""
    host, port = parse_bind(bind)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = green_socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(4096)
    return sock


def serve(settings: Settings) -> NoReturn:
    """Run the ingest server until SIGTERM or SIGINT; exit 0 if everything read was stored."""
    make_green()
    server = IngestServer(settings)
    server.start()
    # What exists now (modules, the codec's compiled parsers) lives as long as the process:
    # leave it out of garbage collection, and collect the young generation less often. Each
    # event's dicts otherwise set off collections that cost ~6 % of ingest's CPU.
    gc.freeze()
    gc.set_threshold(20_000, 50, 50)
    stopping = gevent.event.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        gevent.signal_handler(signum, stopping.set)
    stopping.wait()
    sys.exit(server.stop())
