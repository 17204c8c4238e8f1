"""One node's connection: read frames, decode, number, rate limit, and queue them for the writer.

The first frame must be the node information (within the handshake timeout); it fixes the
protocol version and core count for the rest of the connection. After that a frame that does not
decode is queued as a decode error and the connection goes on: it still takes a JIP-3 event ID.
A frame larger than TART_MAX_FRAME closes the connection, since its size prefix can no longer be
trusted to find the next frame.
"""

import logging
import struct
import time

import gevent
from gevent.socket import wait

from tart.ingest.writer import Event, Undecodable
from tart.protocol import DecodeError, EventDecoder, EventNumbering, decode_node_information

log = logging.getLogger(__name__)

_SIZE = struct.Struct("<I")
_READ = 16384
# At shutdown, a node silent this long has nothing more in flight.
DRAIN_READ_TIMEOUT = 0.5


class Closed(Exception):
    """The connection ends; ``args[0]`` is the reason recorded on its session."""


class Draining(Exception):
    """Thrown into a connection greenlet waiting on its socket when shutdown begins."""


class Session:
    """What one connection has done, as its sessions row shows."""

    __slots__ = ("id", "node_id", "rate_limited", "received", "remote", "reported")

    def __init__(self, session_id, remote):
        self.id = session_id
        self.node_id = None
        self.remote = remote
        self.received = 0
        self.rate_limited = 0
        self.reported = (0, 0)  # (received, rate_limited) as last written to the database


class NodeConnection:
    def __init__(self, sock, remote, ingest):
        self.sock = sock
        self.remote = remote
        self.ingest = ingest
        self.session = Session(None, remote)
        self.accepted = time.time()
        self.draining = False
        self.reading = False
        self._readable = gevent.get_hub().loop.io(sock.fileno(), 1)
        self._buffer = b""
        self._start = 0
        self._received = None
        self._emptied = False  # the last read took all the socket had

    @property
    def last_heard(self):
        """When the node last sent anything (or connected), in Unix seconds."""
        return self._received or self.accepted

    def run(self):
        reason = "closed by node"
        try:
            decoder = self._handshake()
            self._stream(decoder)
        except Closed as closed:
            reason = closed.args[0]
        except OSError as error:
            reason = f"socket error: {error.strerror or error}"
        finally:
            self._readable.close()
            self.sock.close()
            # A connection that sent nothing and went away is a port probe, not a node.
            if (
                self.session.id is not None
                or self._received is not None
                or reason != "closed by node"
            ):
                self._record_session()
                self.ingest.sessions.close(self.session, reason)
        log.info("%s closed: %s", self.remote, reason)

    def _record_session(self):
        if self.session.id is None:
            self.session.id = self.ingest.sessions.open(self.remote, self.accepted)

    def drain(self):
        """Shutting down: read what the node has already sent, then stop."""
        self.draining = True

    def _handshake(self):
        ingest = self.ingest
        with gevent.Timeout(
            ingest.settings.handshake_timeout,
            Closed(f"no node information within {ingest.settings.handshake_timeout:g} s"),
        ):
            frame, received = self._next_frame()
        try:
            info = decode_node_information(frame)
        except DecodeError as error:
            self._record_session()
            ingest.queue.put(Undecodable(self.session, None, error, received, frame))
            raise Closed(f"bad node information: {error}") from None
        self._record_session()
        self.session.node_id = ingest.sessions.identify(self.session.id, info)
        log.info(
            "%s is %s (%s %s, protocol %d, GP %s layout)",
            self.remote,
            self.session.node_id[:16],
            info.fields["implementation_name"],
            info.fields["implementation_version"],
            info.protocol_version,
            info.params_layout,
        )
        return EventDecoder(info.protocol_version, info.core_count)

    def _stream(self, decoder):
        ingest = self.ingest
        session = self.session
        stats = ingest.stats
        queue = ingest.queue
        bucket = ingest.limiter.bucket(session.node_id)
        numbering = EventNumbering()
        while True:
            frame, received = self._next_frame()
            session.received += 1
            stats.events_received += 1
            if not bucket.take():
                session.rate_limited += 1
                stats.events_rate_limited += 1
                numbering.assign(_dropped_count(decoder, frame))
                continue
            try:
                event = decoder.decode(frame)
            except DecodeError as error:
                stats.events_undecodable += 1
                queue.put(Undecodable(session, numbering.assign(), error, received, frame))
                continue
            queue.put(
                Event(
                    session,
                    numbering.assign(event.dropped),
                    event.discriminator,
                    event.timestamp,
                    event.data,
                    received,
                    frame,
                )
            )

    def _next_frame(self):
        """The next frame and when its last bytes arrived (Unix seconds)."""
        buffer, start = self._buffer, self._start
        while True:
            available = len(buffer) - start
            if available >= 4:
                size = _SIZE.unpack_from(buffer, start)[0]
                if size > self.ingest.settings.max_frame:
                    raise Closed(
                        f"frame of {size} bytes exceeds TART_MAX_FRAME "
                        f"({self.ingest.settings.max_frame})"
                    )
                if available >= 4 + size:
                    self._buffer, self._start = buffer, start + 4 + size
                    return buffer[start + 4 : start + 4 + size], self._received
            # After a short read the socket is empty: waiting first spares the recv that would
            # find nothing. The idle timeout is the server's sweep (tart.ingest.server), which
            # spares a timer per wait.
            self.reading = True
            try:
                if self.draining:
                    wait(self._readable, DRAIN_READ_TIMEOUT, Closed("drained at shutdown"))
                elif self._emptied:
                    wait(self._readable)
                data = self.sock.recv(_READ)
            except Draining:
                continue
            finally:
                self.reading = False
            self._emptied = len(data) < _READ
            if not data:
                raise Closed(
                    "closed by node"
                    if not available
                    else f"closed by node mid-frame ({available} bytes unread)"
                )
            self._received = time.time()
            buffer = buffer[start:] + data if available else data
            start = 0


def _dropped_count(decoder, frame):
    """A rate-limited frame still takes its JIP-3 ID; only a Dropped event moves IDs further."""
    if len(frame) > 8 and frame[8] == 0:
        try:
            return decoder.decode(frame).dropped
        except DecodeError:
            return None
    return None
