"""Running the simulated nodes: one gevent greenlet and one TCP connection per node.

Each node wakes every TICK seconds and writes, in one `sendall`, every frame that its rate says
is due by then, so pacing costs one system call per node per tick however high the rate. Nodes
are woken in PHASES groups spread over the tick, each by one shared timer: a timer of its own
per node and tick would cost the generator more CPU than its writes do. The
counts a node reports are frames the kernel accepted on a connection that never failed; a
benchmark compares them with what the server stored.
"""

import functools
import json
import math
import random
import resource
import signal
import socket
import time
from dataclasses import asdict, dataclass

import gevent
import gevent.event
import gevent.socket

from tart.loadgen.frames import Cycle
from tart.loadgen.mixes import PER_NODE, script_of
from tart.loadgen.nodes import SimulatedNode, peer_id
from tart.protocol import JAM_COMMON_ERA

TICK = 0.1
PHASES = 10
# A node whose connection failed waits this long before connecting again.
RETRY_PAUSE = 1.0
CONNECT_TIMEOUT = 10.0
# A slow node writes this many bytes of each tick one by one, and holds back the last few bytes
# of each tick (fewer than the 13 bytes of the smallest frame, so always inside a frame) until
# the next tick: the server sees size prefixes split across reads and frames that stall.
SLOW_BYTE_BY_BYTE = 16
SLOW_HELD_BACK = 7
SLOW_BYTE_PAUSE = 0.001
_UNIX_EPOCH_OFFSET = JAM_COMMON_ERA.timestamp()


@dataclass(frozen=True)
class Plan:
    """What to simulate, as given on the command line."""

    host: str = "127.0.0.1"
    port: int = 9000
    nodes: int = 100
    rate: float = 100.0
    duration: float | None = None
    count: int | None = None
    cycles: int | None = None
    ramp_up: float = 0.0
    mix: str = "all"
    protocol_version: int = 0
    params_layout: str = "0.7"
    core_count: int = 341
    seed: int = 0
    garbage_rate: float = 0.0
    reconnect_every: float | None = None
    slow: int = 0

    @property
    def limit_seconds(self):
        """How long each node sends: --duration, else until --count or --cycles, else 10 s."""
        if self.duration is not None:
            return self.duration
        return math.inf if self.count is not None or self.cycles is not None else 10.0


class Tally:
    """What one simulated node did."""

    __slots__ = ("connect_failures", "connected", "connections", "events", "garbage", "send_errors")

    def __init__(self):
        self.events = 0  # valid event frames sent
        self.garbage = 0  # undecodable frames sent in place of events (--garbage-rate)
        self.connections = 0
        self.connect_failures = 0
        self.send_errors = 0
        self.connected = False


def jam_now():
    """The current JIP-3 Timestamp (µs since the JAM Common Era)."""
    return int((time.time() - _UNIX_EPOCH_OFFSET) * 1_000_000)


class LoadGenerator:
    def __init__(self, plan: Plan):
        self.plan = plan
        self.nodes = [
            SimulatedNode(
                plan.seed, index, plan.protocol_version, plan.params_layout, plan.core_count
            )
            for index in range(plan.nodes)
        ]
        self.tallies = [Tally() for _ in self.nodes]
        self.cycles = self._cycles()
        self.cycle = self.cycles[0]
        # Each node's events per second. In a mix whose cycle differs in length from node to
        # node, --rate is the rate of the node with the longest cycle, and every other node's is
        # scaled down by its cycle's length: all then take the same wall time over a cycle and
        # stay in the same one, as they must in a mix whose slots follow its cycles
        # (lifecycles), however long they run.
        longest = max(cycle.frames for cycle in self.cycles)
        self.rates = [plan.rate * cycle.frames / longest for cycle in self.cycles]
        self.handshakes = [node.handshake() for node in self.nodes]
        self.started = self.finished = None
        self.phases = []  # a _Ticker per phase of the tick, made by run()
        # Set by SIGINT or SIGTERM: every node finishes its current write and disconnects, so
        # the counts stay exact.
        self.stopping = gevent.event.Event()

    def _cycles(self):
        """Each node's cycle: one for all, or for a mix whose cycle depends on the node, one
        per distinct script (encoding is the slow part)."""
        plan = self.plan
        peers = [peer_id(plan.seed, index) for index in range(4)]
        timestamp = jam_now()
        nodes = plan.nodes if plan.mix in PER_NODE else 1
        encoded = {}
        cycles = []
        for index in range(nodes):
            script = script_of(
                plan.mix, plan.protocol_version, plan.core_count, peers, index, nodes
            )
            key = repr((script.events, script.times))
            if key not in encoded:
                encoded[key] = Cycle(script, timestamp)
            cycles.append(encoded[key])
        return cycles * (plan.nodes // nodes)

    def run(self, progress):
        """Simulate every node until each has sent its share; `progress(snapshot)` is called
        about once a second meanwhile. Returns the summary."""
        _allow_open_files(self.plan.nodes + 64)
        handlers = [
            gevent.signal_handler(signum, self.stopping.set)
            for signum in (signal.SIGINT, signal.SIGTERM)
        ]
        self.started = time.monotonic() + TICK
        self.phases = [_Ticker(self.started + TICK * phase / PHASES) for phase in range(PHASES)]
        tickers = [gevent.spawn(ticker.run) for ticker in self.phases]
        greenlets = [gevent.spawn(self._simulate, index) for index in range(self.plan.nodes)]
        reporter = gevent.spawn(self._report, progress)
        try:
            gevent.joinall(greenlets, raise_error=True)
        finally:
            gevent.killall(greenlets)
            gevent.killall(tickers)
            reporter.kill()
            for handler in handlers:
                handler.cancel()
        self.finished = time.monotonic()
        progress(self.snapshot())
        return self.summary()

    def snapshot(self):
        totals = self._totals()
        totals["elapsed"] = max(0.0, (self.finished or time.monotonic()) - self.started)
        totals["connected"] = sum(tally.connected for tally in self.tallies)
        totals["nodes"] = self.plan.nodes
        return totals

    def summary(self):
        elapsed = self.finished - self.started
        totals = self._totals()
        return {
            "plan": asdict(self.plan),
            "elapsed_seconds": round(elapsed, 3),
            "stopped_by_signal": self.stopping.is_set(),
            **totals,
            "achieved_rate": round((totals["events"] + totals["garbage"]) / elapsed, 1),
            "offered_rate": round(sum(self.rates), 1),
            "per_node": [
                {
                    "index": node.index,
                    "node_id": node.node_id,
                    **{
                        name: getattr(tally, name)
                        for name in Tally.__slots__
                        if name != "connected"
                    },
                }
                for node, tally in zip(self.nodes, self.tallies)
            ],
        }

    def _totals(self):
        return {
            name: sum(getattr(tally, name) for tally in self.tallies)
            for name in ("events", "garbage", "connections", "connect_failures", "send_errors")
        }

    def _report(self, progress):
        while True:
            gevent.sleep(1.0)
            progress(self.snapshot())

    def _simulate(self, index):
        plan, tally, rate = self.plan, self.tallies[index], self.rates[index]
        # Starts spread over the ramp-up, and over one tick so that ticks interleave.
        start = self.started + (plan.ramp_up + TICK) * index / plan.nodes
        limit = plan.limit_seconds
        end = start + limit
        target = plan.count if plan.count is not None else math.inf
        if plan.cycles is not None:
            target = min(target, plan.cycles * self.cycles[index].frames)
        rng = random.Random(f"{plan.seed}/{index}")
        slow = index < plan.slow
        tick = self.phases[index % PHASES]
        sent = 0  # frames accepted on connections that did not fail
        self._pause(start - time.monotonic())
        while sent < target and time.monotonic() < end and not self.stopping.is_set():
            sock = self._connect(tally, end)
            if sock is None:
                return
            if slow:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            writer = _SlowWriter(sock) if slow else sock
            send = writer.sendall if slow else functools.partial(_send, sock)
            stream = self.cycles[index].stream(plan.garbage_rate, rng)
            reconnect_at = time.monotonic() + (plan.reconnect_every or math.inf)
            try:
                writer.sendall(self.handshakes[index])
                while True:
                    now = time.monotonic()
                    due = min(target, int(rate * min(now - start, limit))) - sent
                    if due > 0:
                        chunk, garbage = stream.take(due, jam_now())
                        send(chunk)
                        sent += due
                        tally.events += due - garbage
                        tally.garbage += garbage
                    if (
                        sent >= target
                        or now >= end
                        or now >= reconnect_at
                        or self.stopping.is_set()
                    ):
                        break
                    tick.wait()
                if slow:
                    writer.flush()
            except OSError:
                tally.send_errors += 1
                self._pause(RETRY_PAUSE)
            finally:
                tally.connected = False
                sock.close()

    def _connect(self, tally, end):
        """A connection to the server, retried until `end`; None if there was none by then."""
        while time.monotonic() < end and not self.stopping.is_set():
            try:
                sock = gevent.socket.create_connection(
                    (self.plan.host, self.plan.port), timeout=CONNECT_TIMEOUT
                )
            except OSError:
                tally.connect_failures += 1
                self._pause(RETRY_PAUSE)
                continue
            sock.settimeout(None)
            tally.connections += 1
            tally.connected = True
            return sock
        return None

    def _pause(self, seconds):
        """Sleep, unless a stop is asked for meanwhile."""
        self.stopping.wait(max(0.0, seconds))


class _Ticker:
    """Wakes every node waiting on it every TICK seconds from `first` (monotonic time)."""

    def __init__(self, first):
        self.next = first
        self.event = gevent.event.Event()

    def run(self):
        while True:
            gevent.sleep(max(0.0, self.next - time.monotonic()))
            self.next += TICK
            event, self.event = self.event, gevent.event.Event()
            event.set()

    def wait(self):
        self.event.wait()


class _SlowWriter:
    """Writes like a struggling node: byte by byte, and stalling in the middle of a frame."""

    def __init__(self, sock):
        self.sock = sock
        self.held_back = b""

    def sendall(self, data):
        data = self.held_back + data
        cut = max(0, len(data) - SLOW_HELD_BACK)
        for offset in range(min(SLOW_BYTE_BY_BYTE, cut)):
            self.sock.sendall(data[offset : offset + 1])
            gevent.sleep(SLOW_BYTE_PAUSE)
        self.sock.sendall(data[SLOW_BYTE_BY_BYTE:cut])
        self.held_back = data[cut:]

    def flush(self):
        self.sock.sendall(self.held_back)
        self.held_back = b""


def _send(sock, data):
    """sendall, minus the SO_SNDBUF lookup gevent's sendall makes first: a tick's frames
    nearly always fit in one send."""
    sent = sock.send(data)
    if sent < len(data):
        sock.sendall(data[sent:])


def _allow_open_files(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))


def write_summary(summary, path):
    with open(path, "w") as file:
        json.dump(summary, file, indent=1)
        file.write("\n")
