"""WebSocket subscribers for bench/live.py, one process of them: lean enough to keep up.

    python bench/_subscribers.py PORT CLIENTS

Opens CLIENTS connections to ws://127.0.0.1:PORT/api/ws (a new client follows every event),
prints "ready" once all have their `connected` message, and reads until SIGTERM; then prints
one JSON line per client: events received, the last id, whether ids ever went backwards, the
close frame if the server closed it, and latency samples. On SIGUSR1 it prints one JSON line of
the latency samples of all its clients since the previous SIGUSR1, and forgets them, so that a
long run (bench/soak.py) reports by the minute in bounded memory.

A general WebSocket client would spend more CPU than the server it measures, so frames are not
parsed one by one: each read is scanned with bytes searches (C speed) for the event messages
it holds, and the latency sample of a read is its *first* event's, the one that waited longest:
from its `received_at` (when ingest read it) to the moment the read returned.
"""

from gevent import monkey

monkey.patch_all()  # first: the clients are greenlets

import base64  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

import gevent  # noqa: E402
import gevent.event  # noqa: E402

from tart.web.event_json import iso  # noqa: E402

EVENT = b'{"type":"event","data":{"id":'
RECEIVED_AT = b'"received_at":"'
TIME_LENGTH = len(iso(datetime.now(UTC)))  # the API writes every time at one width
CONNECTED = b'{"type":"connected"'
# Unsolicited pongs (RFC 6455 5.5.3) answer the server's keep-alive pings without looking for
# them in the stream. Masked and empty, as a client sends them.
PONG = bytes([0x8A, 0x80]) + b"\0\0\0\0"
PONG_EVERY = 10.0


class Subscriber:
    def __init__(self, port):
        self.events = 0
        self.last_id = 0
        self.backwards = False
        self.latencies = []
        self.close = None
        self.connected = gevent.event.Event()
        self.sock = socket.create_connection(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET /api/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def run(self):
        data = b""
        while CONNECTED not in data:
            data += self.sock.recv(65536)
        if not data.startswith(b"HTTP/1.1 101"):
            raise SystemExit(f"handshake refused: {data[:100]!r}")
        self.connected.set()
        data = data[data.index(CONNECTED) :]
        self._scan(data, time.time())
        ponged = time.monotonic()
        while True:
            chunk = self.sock.recv(1 << 20)
            now = time.time()
            if not chunk:
                self.close = _close_frame(data[-200:])
                return
            # The end of the previous read, too short to hold a whole event marker (which would
            # be counted twice), in case one was cut in two.
            data = data[-(len(EVENT) - 1) :] + chunk
            self._scan(data, now)
            if time.monotonic() - ponged > PONG_EVERY:
                self.sock.sendall(PONG)
                ponged = time.monotonic()

    def _scan(self, data, now):
        self.events += data.count(EVENT)
        at = data.find(RECEIVED_AT)
        if at >= 0 and at + len(RECEIVED_AT) + TIME_LENGTH <= len(data):
            start = at + len(RECEIVED_AT)
            received = datetime.fromisoformat(data[start : start + TIME_LENGTH].decode())
            self.latencies.append(round(now - received.timestamp(), 6))
        last = data.rfind(EVENT)
        comma = data.find(b",", last + len(EVENT)) if last >= 0 else -1
        if comma >= 0:
            event_id = int(data[last + len(EVENT) : comma])
            self.backwards = self.backwards or event_id < self.last_id
            self.last_id = event_id

    def summary(self):
        return {
            "events": self.events,
            "last_id": self.last_id,
            "backwards": self.backwards,
            "close": self.close,
            "latencies": self.latencies,
        }


def _close_frame(tail):
    """(code, reason) of a close frame that ends the stream, if it does."""
    marker = tail.rfind(b"\x88")
    if marker < 0 or marker + 4 > len(tail) or marker + 2 + tail[marker + 1] != len(tail):
        return None
    return [
        int.from_bytes(tail[marker + 2 : marker + 4], "big"),
        tail[marker + 4 :].decode(errors="replace"),
    ]


def _report(subscribers):
    latencies = []
    for subscriber in subscribers:
        latencies += subscriber.latencies
        subscriber.latencies = []
    print(json.dumps({"latencies": latencies}), flush=True)


def main():
    port, clients = map(int, sys.argv[1:3])
    subscribers = [Subscriber(port) for _ in range(clients)]
    readers = [gevent.spawn(subscriber.run) for subscriber in subscribers]
    for subscriber in subscribers:
        subscriber.connected.wait()
    print("ready", flush=True)
    stop = gevent.event.Event()
    gevent.signal_handler(signal.SIGTERM, stop.set)
    gevent.signal_handler(signal.SIGUSR1, _report, subscribers)
    # Woken now and then: once the server has closed every client, nothing else would keep
    # gevent's loop running until SIGTERM.
    while not stop.wait(1.0):
        pass
    gevent.killall(readers)
    for subscriber in subscribers:
        print(json.dumps(subscriber.summary()), flush=True)


if __name__ == "__main__":
    main()
