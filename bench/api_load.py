"""Closed-loop HTTP/1.1 load for bench/api.py: keep-alive clients that each send their next GET
as soon as they have read the whole response to the last one, with no think time.

The clients share the machine's cores with the server and PostgreSQL, so they are kept lean: the
request bytes are built beforehand, the clients are spread over PROCESSES processes (one epoll
loop each, no greenlets), and of each response only the status line and Content-Length are
parsed before its body is read in full. A sample of the bodies is parsed as JSON to check that
they are what the API should answer.

The first WARMUP_SECONDS of load are not measured: then each worker's connections to
PostgreSQL prepare the endpoint's statements, once in their lifetime.
"""

import json
import multiprocessing
import select
import socket
import time
from array import array

# Two processes so that the clients, like the server's two workers, can use both cores.
PROCESSES = 2
# Each process parses its first response and every JSON_SAMPLE-th after it as JSON, so even a
# short run checks some bodies.
JSON_SAMPLE = 50
RECEIVE_SIZE = 256 * 1024
# Time for every process to connect its clients before the load starts.
START_DELAY = 0.5
WARMUP_SECONDS = 1.0


class ProtocolError(Exception):
    """The server answered something the benchmark cannot measure (closed, no length)."""


def run(port: int, paths: list[str], clients: int, seconds: float, check_json=True) -> dict:
    """Load 127.0.0.1:`port` with `clients` clients for `seconds`, cycling through `paths`
    (each client from its own offset); latency quantiles, requests per second and errors
    (responses other than 200, and with `check_json`, sampled bodies that are not JSON)."""
    requests = [f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode() for path in paths]
    start_at = time.monotonic() + START_DELAY + WARMUP_SECONDS  # when measuring starts
    context = multiprocessing.get_context("fork")
    pipes, processes = [], []
    for index in range(PROCESSES):
        share = range(index, clients, PROCESSES)  # which of the clients this process drives
        if not share:
            continue
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(
            target=_drive,
            args=(port, requests, list(share), clients, start_at, seconds, check_json, sender),
        )
        process.start()
        sender.close()
        pipes.append(receiver)
        processes.append(process)
    latencies, errors, ended = array("d"), 0, start_at
    for receiver, process in zip(pipes, processes):
        outcome = receiver.recv()
        process.join()
        if isinstance(outcome, str):
            raise ProtocolError(outcome)
        samples, process_errors, process_ended = outcome
        latencies.frombytes(samples)
        errors += process_errors
        ended = max(ended, process_ended)
    if not latencies:
        raise ProtocolError(f"no response to a request sent in the {seconds} s measured")
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "requests_per_second": round(len(ordered) / (ended - start_at), 1),
        "p50_ms": round(_quantile(ordered, 0.50) * 1000, 2),
        "p99_ms": round(_quantile(ordered, 0.99) * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
        "errors": errors,
    }


def _quantile(ordered, q):
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class _Client:
    __slots__ = ("buffer", "expected", "next_request", "sent_at", "sock")

    def __init__(self, sock, first_request):
        self.sock = sock
        self.next_request = first_request
        self.buffer = bytearray()
        self.expected = None  # head + body length, once the head has arrived
        self.sent_at = 0.0


def _drive(port, requests, client_numbers, clients, start_at, seconds, check_json, sender):
    """One process's clients, until `seconds` after start_at; sends (latencies, errors, end)."""
    try:
        sender.send(
            _closed_loop(port, requests, client_numbers, clients, start_at, seconds, check_json)
        )
    except Exception as error:  # reported by run(), in the parent
        sender.send(f"{type(error).__name__}: {error}")
    finally:
        sender.close()


def _closed_loop(port, requests, client_numbers, client_count, start_at, seconds, check_json):
    """Latencies of the requests sent from start_at on, until start_at + seconds."""
    poller = select.epoll()
    clients = {}
    for number in client_numbers:
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Spread the clients over the paths, so that no two ask for the same one in step.
        clients[sock.fileno()] = _Client(sock, number * len(requests) // client_count)
        poller.register(sock.fileno(), select.EPOLLIN)
    latencies, errors, responses = array("d"), 0, 0
    time.sleep(max(0.0, start_at - WARMUP_SECONDS - time.monotonic()))
    deadline = start_at + seconds
    for client in clients.values():
        _send(client, requests)
    now = time.monotonic()
    while clients:
        for fd, _ in poller.poll():
            client = clients[fd]
            data = client.sock.recv(RECEIVE_SIZE)
            if not data:
                raise ProtocolError("the server closed a keep-alive connection")
            client.buffer += data
            if client.expected is None:
                client.expected = _response_length(client.buffer)
            if client.expected is None or len(client.buffer) < client.expected:
                continue
            now = time.monotonic()
            if len(client.buffer) > client.expected:
                raise ProtocolError("more bytes than the response's Content-Length")
            if client.sent_at >= start_at:  # not warming up
                latencies.append(now - client.sent_at)
                responses += 1
                sampled = check_json and responses % JSON_SAMPLE == 1
                ok = client.buffer.startswith(b"HTTP/1.1 200 ") and not (
                    sampled and not _is_json(client.buffer)
                )
                if not ok:
                    errors += 1
            client.buffer.clear()
            client.expected = None
            if now < deadline:
                _send(client, requests)
            else:
                poller.unregister(fd)
                client.sock.close()
                del clients[fd]
    poller.close()
    return latencies.tobytes(), errors, now


def _send(client, requests):
    request = requests[client.next_request]
    client.next_request = (client.next_request + 1) % len(requests)
    client.sent_at = time.monotonic()
    client.sock.sendall(request)


def _response_length(buffer) -> int | None:
    """Head plus body length of the response starting `buffer`; None until its head is in."""
    head_end = buffer.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    head = bytes(buffer[:head_end]).lower()
    start = head.find(b"\r\ncontent-length:")
    if start < 0:
        raise ProtocolError("a response without Content-Length")
    end = head.find(b"\r\n", start + 2)
    return head_end + 4 + int(head[start + 17 : end if end >= 0 else None])


def _is_json(response) -> bool:
    body = response[response.find(b"\r\n\r\n") + 4 :]
    try:
        json.loads(body)
    except ValueError:
        return False
    return True
