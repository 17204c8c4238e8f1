"""``tart ingest``: accept node connections, run their greenlets, the writer and housekeeping.

On SIGTERM or SIGINT nothing that reached us is lost: stop accepting, let each connection read
what its node has already sent, let the writer commit the whole queue, close the sessions, exit.
"""

import gc
import logging
import signal
import socket
import time

import gevent
import gevent.event
from gevent import socket as green_socket
from gevent.queue import Queue
from gevent.server import StreamServer

from tart.config import parse_bind
from tart.db.connect import connect, make_green
from tart.ingest.connection import Closed, Draining, NodeConnection
from tart.ingest.ratelimit import RateLimiter
from tart.ingest.sessions import ConnectionPool, SessionStore
from tart.ingest.stats import IngestStats
from tart.ingest.writer import STOP, Writer

log = logging.getLogger(__name__)

# Connections for sessions, nodes and the heartbeat (rare writes, not the writer's).
SESSION_POOL_SIZE = 4
HEARTBEAT_INTERVAL = 1.0
IDLE_SWEEP_INTERVAL = 1.0
# An ingest process silent this long is dead: others close the sessions it left open.
ORPHAN_SILENCE = 30.0
MAINTENANCE_INTERVAL = 3600
# How long connections get to read what their nodes had sent when shutdown began.
DRAIN_TIMEOUT = 30


class Ingest:
    """What every connection greenlet shares: settings, the queue, stores and counters."""

    def __init__(self, settings):
        self.settings = settings
        self.stats = IngestStats()
        self.queue = Queue(maxsize=settings.queue_size)
        self.stats.buffer_pending = self.queue.qsize
        self.pool = ConnectionPool(self.connect, SESSION_POOL_SIZE, self.stats)
        self.sessions = SessionStore(self.pool, self.stats.process_id)
        self.limiter = RateLimiter(settings.rate_limit, settings.rate_burst)

    def connect(self):
        """A database connection for ingest (the writer's, the pool's). Its commits do not wait
        for the WAL flush: an operating-system crash may lose the last fraction of a second of
        them, as it would lose the queue anyway, and a commit that waits keeps its row locks
        meanwhile (a heartbeat holding 1,024 sessions' rows through an fsync held up the
        writer's counter updates for as long)."""
        return connect(
            self.settings.database_url,
            application_name="tart-ingest",
            options="-c synchronous_commit=off",
        )


class IngestServer:
    def __init__(self, settings):
        self.settings = settings
        self.ingest = Ingest(settings)
        self.connections = {}  # NodeConnection → its greenlet
        self._server = None
        self._writer = None
        self._housekeeping = []

    def start(self):
        self._maintain_partitions()
        self._heartbeat()
        self._writer = gevent.spawn(
            Writer(self.ingest.queue, self.ingest.connect, self.settings, self.ingest.stats).run
        )
        self._housekeeping = [
            gevent.spawn(self._close_idle_forever),
            gevent.spawn(self._heartbeat_forever),
            gevent.spawn(self._maintain_forever),
        ]
        self._server = StreamServer(listener(self.settings.telemetry_bind), self._handle)
        self._server.start()
        log.info("receiving JIP-3 telemetry on %s", self.settings.telemetry_bind)

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

    def stop(self):
        """Stop accepting, drain connections and the queue, and wait for the last commit."""
        log.info(
            "stopping: draining %d connections and %d queued events",
            len(self.connections),
            self.ingest.queue.qsize(),
        )
        self._server.close()
        for connection, greenlet in list(self.connections.items()):
            connection.drain()
            if connection.reading:
                greenlet.kill(Draining(), block=False)
        gevent.joinall(list(self.connections.values()), timeout=DRAIN_TIMEOUT)
        self.ingest.queue.put(STOP)
        self._writer.join()
        gevent.killall(self._housekeeping)
        self.ingest.pool.run(self.ingest.stats.report)
        log.info("stopped: %d events stored", self.ingest.stats.events_stored)

    def _close_idle_forever(self):
        """Close connections whose node has sent nothing for TART_IDLE_TIMEOUT: one sweep
        instead of a timer on every read."""
        idle = self.settings.idle_timeout
        while True:
            gevent.sleep(min(IDLE_SWEEP_INTERVAL, idle / 4))
            cutoff = time.time() - idle
            for connection, greenlet in list(self.connections.items()):
                if connection.reading and connection.last_heard < cutoff:
                    greenlet.kill(Closed(f"idle for {idle:g} s"), block=False)

    def _heartbeat_forever(self):
        while True:
            gevent.sleep(HEARTBEAT_INTERVAL)
            try:
                self._heartbeat()
            except Exception as error:  # a database outage must not stop ingest
                log.warning("heartbeat failed: %s", error)

    def _heartbeat(self):
        """Report counters, update open sessions' counts, close sessions of dead processes."""
        self.ingest.pool.run(self.ingest.stats.report)
        self.ingest.sessions.update_counters([c.session for c in self.connections])
        orphans = self.ingest.sessions.close_orphans(ORPHAN_SILENCE)
        if orphans:
            log.warning("closed %d sessions left open by ingest processes that died", orphans)

    def _maintain_forever(self):
        while True:
            gevent.sleep(MAINTENANCE_INTERVAL)
            try:
                self._maintain_partitions()
            except Exception:
                log.exception("partition maintenance failed; retrying in an hour")

    def _maintain_partitions(self):
        """Create partitions ahead of time and drop those past the retention."""
        conn = self.ingest.connect()
        try:
            with conn, conn.cursor() as cur:
                cur.execute("SELECT tart_ensure_partitions(%s)", (self.settings.partitions_ahead,))
                created = [row[0] for row in cur.fetchall()]
                cur.execute("SELECT tart_drop_partitions(%s)", (self.settings.retention_days,))
                dropped = [row[0] for row in cur.fetchall()]
        finally:
            conn.close()
        if created or dropped:
            log.info("partitions created: %s; dropped: %s", created or "none", dropped or "none")


def listener(bind):
    """A listening socket with SO_REUSEPORT, so several ingest processes can share the port."""
    host, port = parse_bind(bind)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = green_socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(4096)
    return sock


def serve(settings):
    """Run the ingest server until SIGTERM or SIGINT."""
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
    server.stop()
