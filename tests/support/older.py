"""An older TART: the real one behind a small HTTP proxy that answers the endpoints it did not
have yet as TART answers a path without an endpoint (a JSON 404), and passes everything else
through, the live stream's WebSocket included."""

import json
import socket
import socketserver
import threading
from contextlib import contextmanager, suppress


@contextmanager
def older_tart(port: int, lacking: tuple[str, ...]):
    """Yield the base URL of TART at 127.0.0.1:`port` as it was before the endpoints whose
    paths start with one of `lacking`."""

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            head = _read_head(self.request)
            if not head:
                return
            path = head.split(b" ", 2)[1].decode().split("?")[0]
            if path.startswith(lacking):
                body = json.dumps({"error": f"no such endpoint: {path}", "detail": {"path": path}})
                self.request.sendall(
                    b"HTTP/1.1 404 NOT FOUND\r\nContent-Type: application/json\r\n"
                    b"Connection: close\r\nContent-Length: %d\r\n\r\n%s"
                    % (len(body), body.encode())
                )
                return
            with socket.create_connection(("127.0.0.1", port)) as upstream:
                if b"\r\nupgrade: websocket" not in head.lower():
                    # One request per connection: the answer ends when TART closes it.
                    head = _closing(head)
                upstream.sendall(head)
                _pipe(self.request, upstream)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _read_head(connection) -> bytes:
    """A GET's request line and headers (the dashboard's requests have no body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(4096)
        if not chunk:
            return b""
        data += chunk
    return data


def _closing(head: bytes) -> bytes:
    lines = [
        line
        for line in head.rstrip(b"\r\n").split(b"\r\n")
        if not line.lower().startswith(b"connection:")
    ]
    return b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n"


def _pipe(client, upstream) -> None:
    """Bytes both ways until either side closes."""

    def forward(source, target):
        with suppress(OSError):
            while chunk := source.recv(65536):
                target.sendall(chunk)
        for end in (source, target):
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    back = threading.Thread(target=forward, args=(upstream, client), daemon=True)
    back.start()
    forward(client, upstream)
    back.join()
