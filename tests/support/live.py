"""Live-stream tests' tools: gunicorn serving TART, WebSocket clients, a client that never reads."""

import base64
import json
import os
import socket
import struct
import time

import websocket

# Long enough for a loaded 2-core machine, and shorter than the server's ping interval (whose
# pings would otherwise keep a client waiting for a message that never comes).
TIMEOUT = 20


class LiveClient:
    """A websocket-client connection to /api/ws that has read its `connected` message."""

    def __init__(self, port, path="/api/ws"):
        self.ws = websocket.create_connection(
            f"ws://127.0.0.1:{port}{path}", timeout=TIMEOUT, skip_utf8_validation=True
        )
        self.connected = self.next("connected") if path == "/api/ws" else None

    @property
    def worker(self) -> int:
        return self.connected["broadcaster_stats"]["worker"]

    def send(self, message) -> None:
        self.ws.send(message if isinstance(message, str) else json.dumps(message))

    def message(self) -> dict:
        """The next message, `stats` included."""
        return json.loads(self.ws.recv())

    def next(self, kind: str) -> dict:
        """The `data` of the next message other than `stats`, which must be of type `kind`.

        Within TIMEOUT overall: `stats` arrive every second, so waiting per message alone would
        wait for a missing event until the test's own timeout."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            assert time.monotonic() < deadline, f"no {kind} message within {TIMEOUT} s"
            message = self.message()
            if message["type"] != "stats":
                assert message["type"] == kind, message
                assert message["timestamp"].endswith("Z")
                return message["data"]

    def events(self, count: int) -> list[dict]:
        """The data of the next `count` messages, which must all be events."""
        return [self.next("event") for _ in range(count)]

    def stream(self, count: int) -> list[dict]:
        """The next `count` objects of /api/events/stream."""
        return [json.loads(self.ws.recv()) for _ in range(count)]

    def closed(self) -> tuple[int, str]:
        """Read until the server closes; return its close code and reason."""
        while True:
            opcode, data = self.ws.recv_data(control_frame=True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return struct.unpack("!H", data[:2])[0], data[2:].decode()

    def close(self) -> None:
        self.ws.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def client_on(port, worker, path="/api/ws") -> LiveClient:
    """A client on gunicorn worker `worker`: connect until one lands there."""
    for _ in range(100):
        client = LiveClient(port, path)
        if client.worker == worker:
            return client
        client.close()
    raise AssertionError(f"no connection reached worker {worker}")


def one_client_per_worker(port, workers=2) -> list[LiveClient]:
    """`All` clients, one on each gunicorn worker: once each has an event, every worker has
    dispatched it (and everything before it) to all of its subscribers."""
    clients = {}
    for _ in range(100):
        client = LiveClient(port)
        if client.worker in clients:
            client.close()
        else:
            clients[client.worker] = client
        if len(clients) == workers:
            return list(clients.values())
    raise AssertionError("connections did not reach every worker")


class StalledClient:
    """A WebSocket client that completes the handshake, reads `connected`, then reads nothing
    more until asked to; its receive window is small so the server's writes back up soon."""

    def __init__(self, port):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET /api/ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        self.buffer, self.position = bytearray(), 0
        head = self._read_until(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        _opcode, payload = self.frame()
        self.connected = json.loads(payload)["data"]

    @property
    def worker(self) -> int:
        return self.connected["broadcaster_stats"]["worker"]

    def frame(self) -> tuple[int, bytes]:
        """The next frame the server sent: (opcode, payload)."""
        first, second = self._read(2)
        size = second & 0x7F
        if size == 126:
            size = struct.unpack("!H", self._read(2))[0]
        elif size == 127:
            size = struct.unpack("!Q", self._read(8))[0]
        return first & 0x0F, self._read(size)

    def close_frame(self) -> tuple[int, str]:
        """Read on until the close frame; return its code and reason."""
        while True:
            opcode, payload = self.frame()
            if opcode == 8:
                return struct.unpack("!H", payload[:2])[0], payload[2:].decode()

    def close(self):
        self.sock.close()

    def _read(self, count: int) -> bytes:
        while len(self.buffer) - self.position < count:
            self._receive()
        data = bytes(self.buffer[self.position : self.position + count])
        self.position += count
        if self.position > 1 << 20:
            del self.buffer[: self.position]
            self.position = 0
        return data

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self.buffer:
            self._receive()
        head, _, rest = bytes(self.buffer).partition(marker)
        self.buffer = bytearray(rest)
        return head

    def _receive(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk
