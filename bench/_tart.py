"""TART under load: real `tart ingest` processes fed by `tart loadgen`, measured from outside.

Stored events are counted in the events table; latency, queue depth and rate-limited events
come from the ingest's own row in ingest_stats; memory and CPU from /proc.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tart
from tart.db.connect import connect
from tart.loadgen.runner import TICK as LOADGEN_TICK

BIN = Path(sys.executable).parent
# Seconds after the last node started that do not count towards a step's stored rate yet: the
# ingest's queue and batches reach their working size.
WARM_UP = 3.0
# How long a step may take after the loadgen ends for ingest to store its queue.
DRAIN_TIMEOUT = 300.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# The loadgen's CPU priority (nice): below ingest's and PostgreSQL's (0).
LOADGEN_NICE = 10


class Ingest:
    """`processes` × `tart ingest` sharing a free local port (SO_REUSEPORT), writing to `url`,
    with their output in one file; measured together."""

    def __init__(self, url, nodes, log_path, processes=1, wrap=()):
        """`wrap`: arguments of a Python program that runs `tart ingest` (bench/_traced.py)."""
        self.url = url
        self.port = _free_port()
        env = dict(
            os.environ,
            DATABASE_URL=url,
            TELEMETRY_BIND=f"127.0.0.1:{self.port}",
            TART_RATE_LIMIT="0",
            TART_LOG_LEVEL="warning",
        )
        if nodes > 1024:
            env["TART_MAX_CONNECTIONS"] = str(nodes)
        self.log = open(log_path, "w")
        self.db = connect(url)
        self.db.autocommit = True
        self.processes = []
        for _ in range(processes):
            self.processes.append(
                subprocess.Popen(
                    [*([sys.executable, *wrap] if wrap else []), str(BIN / "tart"), "ingest"],
                    env=env,
                    stdout=self.log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            # Each has reported once it is listening; the port answers once the first is.
            self.wait_until(
                lambda: len(self._rows()) == len(self.processes), 30, "tart ingest to start"
            )
        _wait_for_port(self.port, self.processes[0], log_path)

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.db.close()
        self.log.close()

    def rss_kb(self):
        return sum(_status_kb(process.pid, "VmRSS") for process in self.processes)

    def peak_rss_kb(self):
        return sum(_status_kb(process.pid, "VmHWM") for process in self.processes)

    def cpu_seconds(self):
        total = 0.0
        for process in self.processes:
            fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime
        return total

    def counters(self):
        """The processes' ingest_stats counters added up (each updates its own about once a
        second); the batch write histograms are merged."""
        total = {}
        for (counters,) in self._rows():
            for name, value in counters.items():
                if isinstance(value, dict) and "buckets" in value:
                    merged = total.setdefault(name, {"buckets": {}, "sum": 0.0, "count": 0})
                    for bound, count in value["buckets"].items():
                        merged["buckets"][bound] = merged["buckets"].get(bound, 0) + count
                    merged["sum"] += value["sum"]
                    merged["count"] += value["count"]
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    total[name] = total.get(name, 0) + value
        return total

    def _rows(self):
        return self.sql(
            "SELECT counters FROM ingest_stats WHERE pid = ANY(%s)",
            ([process.pid for process in self.processes],),
        )

    def sql(self, query, params=()):
        with self.db.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall() if cur.description else None

    def max_id(self):
        return self.sql("SELECT coalesce(max(id), 0) FROM events")[0][0]

    def last_id(self):
        """The last id allocated, stored or not (the sequence survives TRUNCATE)."""
        return self.sql(
            "SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM events_id_seq"
        )[0][0]

    def last_session(self):
        return self.sql("SELECT coalesce(max(id), 0) FROM sessions")[0][0]

    def nodes_identified_since(self, session):
        """Connections after session id `session` that have sent their node information."""
        return self.sql(
            "SELECT count(*) FROM sessions WHERE id > %s AND node_id IS NOT NULL", (session,)
        )[0][0]

    def connections(self):
        """Open connections, as the ingest last reported them."""
        return self.counters().get("active_connections", 0)

    def wait_for_no_connections(self):
        time.sleep(1.1)  # the gauge is reported once a second: let it catch up first
        self.wait_until(lambda: self.connections() == 0, 60, "the nodes' connections to close")

    def wait_until(self, condition, timeout, what):
        deadline = time.monotonic() + timeout
        while not condition():
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(
                        f"tart ingest exited with {process.returncode}; see {self.log.name}"
                    )
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout:g} s for {what}")
            time.sleep(0.2)


class Web:
    """gunicorn serving TART (2 gevent workers, as deployed) on a free port, for the duration
    of a with-block; its output goes to `log_path`."""

    def __init__(self, url, log_path, wrap=()):
        """`wrap`: arguments of a Python program that runs gunicorn (bench/_traced.py)."""
        self.port = _free_port()
        env = dict(
            os.environ,
            DATABASE_URL=url,
            API_BIND=f"127.0.0.1:{self.port}",
            TART_WEB_WORKERS="2",
            TART_LOG_LEVEL="warning",
        )
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, *wrap, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            # The tree whose tart this bench imports (PYTHONPATH may name another checkout):
            # gunicorn puts its working directory first on the workers' path.
            cwd=Path(tart.__file__).resolve().parent.parent,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def __enter__(self):
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not start in 60 s") from None
                time.sleep(0.1)

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(60)
        self.log.close()


def say(message):
    """A benchmark's progress, on stderr so that its report on stdout stays clean."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def loadgen(ingest, nodes, rate, seconds, ramp_up, mix, summary_path, log):
    """`tart loadgen` running at the ingest, stopped on leaving if it has not finished; its
    summary will be in summary_path.

    The loadgen stands in for nodes on other machines, so it takes only the CPU that ingest
    and PostgreSQL leave (see _yield_cpu); each step checks that it still sent its offered rate.
    It has its own session, which Ctrl-C does not reach: hence the stop here.
    """
    command = [
        str(BIN / "tart"),
        "loadgen",
        "--telemetry",
        f"127.0.0.1:{ingest.port}",
        "--nodes",
        str(nodes),
        "--rate",
        f"{rate:g}",
        "--duration",
        f"{seconds:g}",
        "--ramp-up",
        f"{ramp_up:g}",
        "--mix",
        mix,
        "--summary-json",
        str(summary_path),
    ]
    generator = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_yield_cpu
    )
    try:
        yield generator
    finally:
        if generator.poll() is None:
            generator.terminate()
        generator.wait()


def _yield_cpu():
    """Lowest claim on the CPU for this process: nice, and, where the kernel groups processes
    by session for scheduling (autogroup), its own session's group too, since a process's nice
    counts only within its group."""
    os.nice(LOADGEN_NICE)
    try:
        with open("/proc/self/autogroup", "w") as autogroup:
            autogroup.write(str(LOADGEN_NICE))
    except OSError:
        pass  # no autogroup scheduling: nice alone applies


def idle_memory(ingest, nodes, mix, log):
    """Ingest RSS before and with `nodes` connected nodes that have sent only node information.

    "Before" is after some nodes have sent every kind of event, so that what an ingest process
    pays once (compiled decoders, database connections) is not counted per connection; 16 of
    them, so that every process of several sharing the port has had some."""
    with tempfile.TemporaryDirectory() as tmp:
        with loadgen(ingest, 16, 1000, 1, 0, "all", Path(tmp) / "warm-up.json", log) as warm_up:
            warm_up.wait()
        ingest.wait_for_no_connections()
        before = ingest.rss_kb()
        session = ingest.last_session()
        # At this rate no event is due within the run: the nodes connect and stay idle until
        # the memory is read, then the loadgen is stopped.
        with loadgen(ingest, nodes, 0.001, 600, nodes / 500, mix, Path(tmp) / "summary.json", log):
            ingest.wait_until(
                lambda: ingest.nodes_identified_since(session) == nodes,
                60,
                f"{nodes} idle nodes to connect",
            )
            time.sleep(1.0)
            idle = ingest.rss_kb()
    ingest.wait_for_no_connections()
    return {
        "nodes": nodes,
        "rss_before_kb": before,
        "rss_idle_kb": idle,
        "per_connection_kb": round((idle - before) / nodes, 2),
    }


def step(ingest, nodes, rate, seconds, mix, log):
    """One load step: `nodes` × `rate` events/s for `seconds`; what was sent, stored, lost."""
    ramp_up = min(5.0, seconds / 10)
    # The previous step's connections must be gone, or they count against
    # TART_MAX_CONNECTIONS.
    ingest.wait_for_no_connections()
    # Each step starts, like each baseline, from an empty table: index depth and cache misses
    # grow with the table, and the comparison is between equals.
    ingest.sql("TRUNCATE events")
    before = _snapshot(ingest)
    first_id = ingest.last_id()
    samples = []  # (seconds since start, rows stored so far, queue depth, connections)
    with tempfile.TemporaryDirectory() as tmp:
        summary_path = Path(tmp) / "summary.json"
        started = time.monotonic()
        with loadgen(ingest, nodes, rate, seconds, ramp_up, mix, summary_path, log) as generator:
            while generator.poll() is None:
                counters = ingest.counters()
                samples.append(
                    (
                        time.monotonic() - started,
                        max(0, ingest.max_id() - first_id),
                        counters.get("buffer_pending", 0),
                        counters.get("active_connections", 0),
                    )
                )
                time.sleep(1.0)
        summary = json.loads(summary_path.read_text())
    sent = summary["events"]

    def settled():
        counters = ingest.counters()
        return (
            counters.get("events_stored", 0)
            + counters.get("events_rate_limited", 0)
            - before["counters"].get("events_stored", 0)
            - before["counters"].get("events_rate_limited", 0)
            >= sent
        )

    with contextlib.suppress(TimeoutError):  # what is missing shows as loss
        ingest.wait_until(settled, DRAIN_TIMEOUT, "ingest to store the step's events")
    after = _snapshot(ingest)
    stored = ingest.sql("SELECT count(*) FROM events WHERE id > %s", (first_id,))[0][0]
    rate_limited = after["counters"].get("events_rate_limited", 0) - before["counters"].get(
        "events_rate_limited", 0
    )
    stored_rate = _rate(_steady(samples, ramp_up, seconds))
    latency = histogram_delta(before["counters"], after["counters"])
    cpu = after["cpu"] - before["cpu"]
    return {
        "rate_per_node": rate,
        "offered_per_second": round(nodes * rate),
        "sent": sent,
        # Each node sends for `seconds` from its own start; a loadgen slowed by TCP
        # backpressure takes longer than that to send its share.
        "sent_per_second": round(
            sent / max(seconds, summary["elapsed_seconds"] - ramp_up - LOADGEN_TICK)
        ),
        "stored": stored,
        "stored_per_second": stored_rate,
        "rate_limited": rate_limited,
        "loss": sent - stored - rate_limited,
        "send_errors": summary["send_errors"],
        "connect_failures": summary["connect_failures"],
        "connections_held": max((sample[3] for sample in samples), default=0),
        "batch_write_p50_ms": _ms(histogram_quantile(latency, 0.50)),
        "batch_write_p99_ms": _ms(histogram_quantile(latency, 0.99)),
        "batches": latency["count"],
        # Above the histogram's last finite bound (1 s) a quantile has no value, only a count.
        "batches_over_1s": latency["count"] - latency["buckets"].get("1", 0),
        "queue_max": max((sample[2] for sample in samples), default=0),
        "ingest_cpu_percent": round(100 * cpu / max(1e-9, after["time"] - before["time"])),
        "seconds": seconds,
    }


def _snapshot(ingest):
    return {"counters": ingest.counters(), "cpu": ingest.cpu_seconds(), "time": time.monotonic()}


def _steady(samples, ramp_up, seconds):
    """The samples taken while every node was sending: from the first stored row (the loadgen
    has started) plus ramp-up and warm-up, until the first nodes finish. A step too short to
    have such a time is measured from just before its first row to its last."""
    empty = [sample for sample in samples if sample[1] == 0]
    growing = [sample for sample in samples if sample[1] > 0]
    if not growing:
        return []
    start = growing[0][0]
    steady = [
        sample for sample in growing if start + ramp_up + WARM_UP <= sample[0] <= start + seconds
    ]
    if len(steady) >= 2:
        return steady
    last = next(sample for sample in growing if sample[1] == growing[-1][1])
    return [*empty[-1:], last]


def _rate(samples):
    """Rows per second committed between the first and last sample (by the ids they reached)."""
    if len(samples) < 2 or samples[-1][0] <= samples[0][0]:
        return 0
    return round((samples[-1][1] - samples[0][1]) / (samples[-1][0] - samples[0][0]))


def histogram_delta(before, after):
    """The batch_write_duration observations between two counter snapshots."""
    empty = {"buckets": {}, "count": 0, "sum": 0.0}
    start, end = before.get("batch_write_duration", empty), after.get("batch_write_duration", empty)
    buckets = {
        bound: count - start["buckets"].get(bound, 0) for bound, count in end["buckets"].items()
    }
    return {"buckets": buckets, "count": end["count"] - start["count"]}


def histogram_quantile(histogram, q):
    """The q-quantile of a cumulative histogram, interpolated linearly inside its bucket (as
    Prometheus' histogram_quantile does); None without observations or above the last finite
    bound."""
    total = histogram["count"]
    if not total:
        return None
    bounds = sorted(
        ((float(bound), count) for bound, count in histogram["buckets"].items()),
        key=lambda pair: pair[0],
    )
    rank, lower, below = q * total, 0.0, 0
    for bound, cumulative in bounds:
        if cumulative >= rank:
            if bound == float("inf"):
                return None
            inside = cumulative - below
            return lower + (bound - lower) * ((rank - below) / inside if inside else 1.0)
        lower, below = bound, cumulative
    return None


def _ms(seconds):
    return None if seconds is None else round(seconds * 1000, 1)


def _status_kb(pid, field):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port, process, log_path):
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(
                f"tart ingest did not start; see {log_path}:\n{Path(log_path).read_text()[-2000:]}"
            )
        time.sleep(0.1)
