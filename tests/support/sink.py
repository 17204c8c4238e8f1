"""A TCP server for tests that takes what the load generator sends and counts it by node."""

import socketserver
import struct
import threading
from collections import Counter

from tart.protocol import DecodeError, EventDecoder, decode_node_information


class Sink(socketserver.ThreadingTCPServer):
    """Per connection: decode the node information, then every frame; keep the counts."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Connection)
        self.lock = threading.Lock()
        self.events = Counter()  # node_id → decoded events
        self.undecodable = Counter()  # node_id → frames that did not decode
        self.connections = Counter()  # node_id → connections
        self.received = 0  # bytes so far, on all connections
        self.problems = []  # anything a correct load generator never does
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def port(self):
        return self.server_address[1]

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


class _Connection(socketserver.BaseRequestHandler):
    def handle(self):
        sink, chunks = self.server, []
        while data := self.request.recv(65536):
            chunks.append(data)
            with sink.lock:
                sink.received += len(data)
        data = b"".join(chunks)
        frames, offset = [], 0
        while offset + 4 <= len(data):
            (size,) = struct.unpack_from("<I", data, offset)
            if offset + 4 + size > len(data):
                break
            frames.append(data[offset + 4 : offset + 4 + size])
            offset += 4 + size
        with sink.lock:
            if offset != len(data):
                sink.problems.append(f"connection ended mid-frame ({len(data) - offset} bytes)")
            if not frames:
                sink.problems.append("connection without node information")
                return
            info = decode_node_information(frames[0])
            node = info.peer_id[2:]
            sink.connections[node] += 1
            decoder = EventDecoder(info.protocol_version, info.core_count)
            for message in frames[1:]:
                try:
                    decoder.decode(message)
                    sink.events[node] += 1
                except DecodeError:
                    sink.undecodable[node] += 1
