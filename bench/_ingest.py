"""Real `tart ingest` processes for a benchmark, writing to its database and measured from
outside: stored events are counted in the events table; latency, queue depth and rate-limited
events come from the ingest's own row in ingest_stats; memory and CPU from /proc.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from _procs import BIN, free_port, wait_for_port

from tart.db.connect import connect

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def ingest_env(url, port):
    """The environment of a benchmark's `tart ingest`: no rate limit, warnings only."""
    return dict(
        os.environ,
        DATABASE_URL=url,
        TELEMETRY_BIND=f"127.0.0.1:{port}",
        TART_RATE_LIMIT="0",
        TART_LOG_LEVEL="warning",
    )


class Ingest:
    """`processes` × `tart ingest` sharing a free local port (SO_REUSEPORT), writing to `url`,
    with their output in one file; measured together."""

    def __init__(self, url, nodes, log_path, processes=1, wrap=()):
        """`wrap`: arguments of a Python program that runs `tart ingest` (bench/_traced.py)."""
        self.url = url
        self.port = free_port()
        env = ingest_env(url, self.port)
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
        wait_for_port(self.port, self.processes[0], "tart ingest", log_path)

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


def _status_kb(pid, field):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")
