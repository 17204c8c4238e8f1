"""`tart check --listen`: wait for one node's telemetry connection, as TART ingest would."""

import socket


def accept_one(host, port, listening):
    """Listen on ``host:port`` until a node connects; then stop listening (later nodes are
    refused) and return its socket and address. ``listening`` is told the address bound, which
    shows the port when ``port`` is 0."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.create_server((host, port), family=family, backlog=1) as server:
        listening(server.getsockname()[:2])
        return server.accept()
