"""One node's connection: read frames, decode, number, rate limit, and queue them for the writer.

The first frame must be the node information (within the handshake timeout); it fixes the
protocol version and core count for the rest of the connection. A connection that sends
something else (garbage, an HTTP request, a TLS handshake) fails its handshake: it is closed
and recorded as a decode error without a node, with the first bytes it sent. After that a frame
that does not decode is queued as a decode error and the connection goes on: it still takes a
JIP-3 event ID.
A frame larger than TART_MAX_FRAME closes the connection, since its size prefix can no longer be
trusted to find the next frame. The bytes of a frame that has not fully arrived count against
the process's budget for them (:mod:`tart.ingest.frame_budget`).

At shutdown each connection reads on until its node falls quiet (DRAIN_QUIET) or the cut-off
comes (DRAIN_WINDOW after shutdown began), whichever is first; then it takes what the kernel
holds from the node at that moment — once, however fast the node sends — queues its frames and
closes. So a node that has stopped loses nothing it sent, and one that never stops cannot hold
the shutdown up.
"""

from __future__ import annotations

import fcntl
import logging
import struct
import termios
import time
from typing import TYPE_CHECKING

import gevent
from gevent.socket import wait

from tart.db.connect import first_line
from tart.db.errors import DATABASE_ERRORS
from tart.ingest.items import Event, Undecodable
from tart.protocol import (
    FRAME_SIZE,
    DecodeError,
    EventDecoder,
    EventNumbering,
    decode_node_information,
)

if TYPE_CHECKING:
    from gevent.socket import socket

    from tart.ingest.server import Ingest

log = logging.getLogger(__name__)

_READ = 16384
# The first bytes of what is sent to the telemetry port by mistake, read as a frame's size.
_HTTP = (b"GET ", b"POST", b"PUT ", b"HEAD", b"DELE", b"OPTI", b"PATC", b"CONN", b"TRAC", b"PRI ")
_TLS = b"\x16\x03"  # a TLS handshake record
# Names the API's address as this process has it configured (API_BIND).
HTTP_REASON = "this is the JIP-3 telemetry port; the HTTP API is on {api_bind}"
TLS_REASON = "this looks like TLS; JIP-3 telemetry is plain TCP"
SHUTDOWN_REASON = "drained at shutdown"
# How much of what a connection sent before failing its handshake its decode error keeps.
HANDSHAKE_RAW = 256
# At shutdown a node silent this long has nothing more in flight...
DRAIN_QUIET = 0.5
# ...and none is read from for longer than this after shutdown began.
DRAIN_WINDOW = 2.0


class Closed(Exception):
    """The connection ends; ``args[0]`` is the reason recorded on its session."""


class Draining(Exception):
    """Thrown into a connection greenlet waiting on its socket when shutdown begins."""


class _Quiet(Exception):
    """The node sent nothing for DRAIN_QUIET while shutting down."""


class Session:
    """What one connection has done, as its sessions row shows."""

    __slots__ = ("id", "node_id", "rate_limited", "received", "remote", "reported")

    def __init__(self, session_id: int | None, remote: str):
        self.id = session_id
        self.node_id = None
        self.remote = remote
        self.received = 0
        self.rate_limited = 0
        self.reported = (0, 0)  # (received, rate_limited) as last written to the database


class NodeConnection:
    def __init__(self, sock: socket, remote: str, ingest: Ingest):
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
        self._cut_off = False  # shutdown: what had arrived has been taken
        self._cut_off_at = None
        self._holding = False  # bytes of an incomplete frame count against the budget
        self._framed = False  # a first frame has arrived
        self._first_bytes = None  # the beginning of what the node sent, for a failed handshake
        self.greenlet = None

    @property
    def last_heard(self) -> float:
        """When the node last sent anything (or connected), in Unix seconds."""
        return self._received or self.accepted

    def run(self) -> None:
        self.greenlet = gevent.getcurrent()
        reason = "closed by node"
        try:
            decoder = self._handshake()
            self._stream(decoder)
        except Closed as closed:
            reason = closed.args[0]
        except OSError as error:
            reason = f"socket error: {error.strerror or error}"
        except DATABASE_ERRORS as error:
            # Recording the node failed: the database refused it, or is away at shutdown.
            reason = f"database error: {first_line(error)}"
        finally:
            self.ingest.budget.hold(self, 0)
            self._readable.close()
            self.sock.close()
            # A connection that sent nothing and went away is a port probe, not a node.
            if (
                self.session.id is not None
                or self._received is not None
                or reason != "closed by node"
            ):
                try:
                    self._record_session()
                    self.ingest.sessions.close(self.session, reason)
                except DATABASE_ERRORS as error:
                    # Only when shutting down without the database: the next start closes the
                    # session as orphaned.
                    reason += f" (session left open: {first_line(error)})"
                except Closed as closed:
                    # Ended by the shutdown's deadline while waiting for a database that does
                    # not answer (a frozen server): the same, found out sooner.
                    reason += f" (session left open: {closed.args[0]})"
        log.info("%s closed: %s", self.remote, reason)

    def _record_session(self):
        if self.session.id is None:
            self.session.id = self.ingest.sessions.open(self.remote, self.accepted)

    def drain(self) -> None:
        """Shutting down: take what the node has sent until the cut-off, then stop."""
        self.draining = True
        self._cut_off_at = time.monotonic() + DRAIN_WINDOW

    def close_now(self, reason: str) -> None:
        """End the connection while it waits for its node, with `reason`."""
        if self.reading:
            self.greenlet.kill(Closed(reason), block=False)

    def _handshake(self):
        ingest = self.ingest
        try:
            with gevent.Timeout(
                ingest.settings.handshake_timeout,
                Closed(f"no node information within {ingest.settings.handshake_timeout:g} s"),
            ):
                frame, received = self._next_frame()
        except Closed as closed:
            if self._first_bytes and not self.draining:
                # Bytes that are not node information, e.g. an HTTP request.
                self._handshake_failed(
                    DecodeError(closed.args[0], 0), self._received, self._first_bytes
                )
            raise
        try:
            info = decode_node_information(frame)
        except DecodeError as error:
            self._handshake_failed(error, received, frame)
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

    def _handshake_failed(self, error, received, raw):
        """Record a handshake that failed on what the node sent as a decode error of its
        session, which has no node."""
        self._record_session()
        self.ingest.stats.events_undecodable += 1
        self.ingest.queue.put(Undecodable(self.session, None, error, received, raw))

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
                self._number(numbering, decoder.dropped(frame))
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
                    self._number(numbering, event.dropped),
                    event.discriminator,
                    event.timestamp,
                    event.data,
                    received,
                    frame,
                )
            )

    def _number(self, numbering, dropped):
        """The event's JIP-3 ID; a Dropped event that makes the IDs wrap past u64 is logged."""
        if dropped is None:
            return numbering.assign()
        wraps = numbering.wraps
        event_id = numbering.assign(dropped)
        if numbering.wraps != wraps:
            self.ingest.stats.event_ids_wrapped += 1
            log.warning(
                "%s: Dropped(%d) took its event IDs past 2**64; they wrap around",
                self.remote,
                dropped,
            )
        return event_id

    def _next_frame(self):
        """The next frame and when its last bytes arrived (Unix seconds)."""
        buffer, start = self._buffer, self._start
        budget = self.ingest.budget
        while True:
            available = len(buffer) - start
            if available >= FRAME_SIZE.size:
                size = FRAME_SIZE.unpack_from(buffer, start)[0]
                if not self._framed:
                    foreign = self._foreign(buffer[start : start + FRAME_SIZE.size])
                    if foreign:
                        raise Closed(foreign)
                if size > self.ingest.settings.max_frame:
                    raise Closed(
                        f"frame of {size} bytes exceeds TART_MAX_FRAME "
                        f"({self.ingest.settings.max_frame})"
                    )
                end = start + FRAME_SIZE.size + size
                if len(buffer) >= end:
                    self._buffer, self._start = buffer, end
                    self._framed = True
                    if self._holding:
                        self._holding = False
                        budget.hold(self, 0)
                    return buffer[end - size : end], self._received
            if available:
                refused = budget.hold(self, available)
                if refused:
                    raise Closed(refused)
                self._holding = True
            data = self._drain_read(available) if self.draining else self._read()
            if data is None:
                continue
            self._emptied = len(data) < _READ
            if not data:
                raise Closed(
                    "closed by node"
                    if not available
                    else f"closed by node mid-frame ({available} bytes unread)"
                )
            self._received = time.time()
            if self._first_bytes is None:
                self._first_bytes = data[:HANDSHAKE_RAW]
            buffer = buffer[start:] + data if available else data
            start = 0

    def _read(self):
        """The next bytes from the node (b"" when it closed); None if shutdown began."""
        # After a short read the socket is empty: waiting first spares the recv that would
        # find nothing. The idle timeout is the server's sweep (tart.ingest.server), which
        # spares a timer per wait.
        self.reading = True
        try:
            if self._emptied:
                wait(self._readable)
            return self.sock.recv(_READ)
        except Draining:
            return None
        finally:
            self.reading = False

    def _drain_read(self, available):
        """Shutting down: the next bytes until the node falls quiet or the cut-off comes; then
        what the kernel holds from the node, once; then the connection closes."""
        remaining = self._cut_off_at - time.monotonic()
        if remaining > 0 and not self._cut_off:
            self.reading = True
            try:
                wait(self._readable, min(DRAIN_QUIET, remaining), _Quiet())
                return self.sock.recv(_READ)
            except (_Quiet, Draining):
                pass
            finally:
                self.reading = False
        return self._cut(available)

    def _cut(self, available):
        """Shutting down: the bytes the kernel held from the node when shutdown began, once;
        then the connection closes."""
        if not self._cut_off:
            self._cut_off = True
            (pending,) = struct.unpack(
                "i", fcntl.ioctl(self.sock.fileno(), termios.FIONREAD, b"\0\0\0\0")
            )
            chunks = []
            while pending > 0:
                chunk = self.sock.recv(min(pending, 1 << 20))
                if not chunk:
                    break
                chunks.append(chunk)
                pending -= len(chunk)
            if chunks:
                return b"".join(chunks)
        unread = f" ({available} bytes of an incomplete frame unread)" if available else ""
        raise Closed(SHUTDOWN_REASON + unread)

    def _foreign(self, head) -> str | None:
        """Why a connection whose first bytes are `head` speaks another protocol, if it does:
        read as a frame's size, they would be taken for a frame of that many bytes."""
        if head in _HTTP:
            return HTTP_REASON.format(api_bind=self.ingest.settings.api_bind)
        if head.startswith(_TLS):
            return TLS_REASON
        return None
