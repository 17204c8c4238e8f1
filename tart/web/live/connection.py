"""One WebSocket client: its outbox, the greenlet that writes it, and how the connection ends.

flask-sock's `ws` (simple-websocket) reads the client in a greenlet of its own and answers its
pings; the request's greenlet handles the client's messages. Everything the server sends goes
through the outbox to one sender greenlet, which writes whatever has queued in one go: a
client that reads slowly gets bigger writes, and one that stops reading fills its outbox until
it is closed ("too slow"), while the listener and the other clients carry on.
"""

import contextlib
import logging
import socket

import gevent
import gevent.lock
from simple_websocket import ConnectionClosed

from tart.web.live.subscriptions import Outbox

log = logging.getLogger(__name__)

# Close codes (RFC 6455 section 7.4.1).
POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013
GOING_AWAY = 1001
# After the server starts closing, how long the client has to take the close frame and answer
# before the TCP connection is shut down regardless.
CLOSE_TIMEOUT = 10.0
# The same when the worker shuts down, which waits for its connections to end.
SHUTDOWN_CLOSE_TIMEOUT = 1.0
# The most bytes one write carries; the rest of the outbox goes in the next one.
WRITE_BYTES = 1 << 20
# A client that takes none of a write for this long is gone. (Its pings cannot tell: they wait
# behind the stuck write.)
WRITE_TIMEOUT = 60.0


class Connection:
    """`limit`: live events that may wait (TART_WS_QUEUE); `on_events(n)`: n events were queued;
    `on_slow()`: the client is being closed for falling too far behind."""

    def __init__(self, ws, limit: int, on_events, on_slow):
        self.ws = ws
        # simple-websocket writes with socket.send, which under gevent may write only part of a
        # frame, and its reader greenlet writes pongs while the sender writes events.
        ws.sock = _WholeWrites(ws.sock)
        self.outbox = Outbox(limit, self._too_slow, on_events)
        self.subscription = None
        self._closing = None
        self._abort_timer = None
        self._on_slow = on_slow
        self._sender = gevent.spawn(self._send)

    def send(self, frame: bytes) -> None:
        self.outbox.put(frame)

    def messages(self):
        """The client's messages (str or bytes) until it goes, when ConnectionClosed is raised;
        once the server is closing the connection, they are read but not returned."""
        while True:
            text = self.ws.receive()
            if not self.closing:
                yield text

    @property
    def closing(self) -> bool:
        return self.outbox.closed

    def wait_drained(self) -> None:
        """Wait until everything queued so far is written, or the connection is closing."""
        self.outbox.drained.wait()

    def close(self, code: int, reason: str, answer_within: float = CLOSE_TIMEOUT) -> None:
        """Finish the write under way, then send a close frame; shut the connection down if
        the client has not answered it `answer_within` seconds from now. Never blocks."""
        if self.outbox.closed:
            return
        # A close frame carries at most 123 bytes of reason.
        reason = reason.encode()[:123].decode(errors="ignore")
        self._closing = (code, reason)
        self.outbox.close()
        self._abort_timer = gevent.spawn_later(answer_within, self._abort)

    def finish(self) -> None:
        """The request is over: stop writing and let gunicorn close the socket."""
        self.outbox.close()
        self._sender.kill(block=False)
        if self._abort_timer is not None:
            self._abort_timer.kill(block=False)

    def _too_slow(self, queued: int) -> None:
        reason = f"too slow: {queued} events queued"
        log.warning("closing WebSocket client %s: %s", self.ws.environ.get("REMOTE_ADDR"), reason)
        self.close(POLICY_VIOLATION, reason)
        self._on_slow()

    def _send(self):
        sock = self.ws.sock
        try:
            while True:
                self.outbox.ready.wait()
                if self._closing is not None:
                    self.ws.close(*self._closing)
                    return
                frames = self.outbox.take()
                while frames and self._closing is None:
                    chunk, size = [], 0
                    while frames and size < WRITE_BYTES:
                        frame = frames.popleft()
                        chunk.append(frame)
                        size += len(frame)
                    with gevent.Timeout(WRITE_TIMEOUT):
                        sock.sendall(b"".join(chunk))
                if not self.outbox.ready.is_set():
                    self.outbox.drained.set()
        except (OSError, ConnectionClosed, gevent.Timeout):
            self._abort()

    def _abort(self):
        """Shut the TCP connection down: the reader greenlet sees it end, and so does the
        request waiting on it."""
        self.outbox.close()
        with contextlib.suppress(OSError):  # already gone
            self.ws.sock.shutdown(socket.SHUT_RDWR)


class _WholeWrites:
    """gunicorn's client socket, writing every buffer whole and one writer at a time."""

    def __init__(self, sock):
        self._sock = sock
        self._lock = gevent.lock.Semaphore()

    def send(self, data) -> int:
        with self._lock:
            self._sock.sendall(data)
        return len(data)

    sendall = send

    def __getattr__(self, name):
        return getattr(self._sock, name)
