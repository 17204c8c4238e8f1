"""`tart check --listen`: wait for one node's telemetry connection, as TART ingest would."""

import socket


class CannotListen(Exception):
    """The address cannot be listened on (in use, not this machine's, not permitted): a
    mistake in the command, not a finding about the node."""


def accept_one(host, port, listening):
    """Listen on ``host:port`` until a node connects; then stop listening (later nodes are
    refused) and return its socket and address. ``listening`` is told the address bound, which
    shows the port when ``port`` is 0."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        server = socket.create_server((host, port), family=family, backlog=1)
    except OSError as error:
        # create_server adds "(while attempting to bind on address …)": the message has it.
        reason = error.strerror.partition(" (while attempting")[0]
        raise CannotListen(f"cannot listen on {host}:{port}: {reason}") from None
    with server:
        listening(server.getsockname()[:2])
        return server.accept()
