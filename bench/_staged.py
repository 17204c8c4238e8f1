"""The per-batch cost benchmarks' method (bench/propagation_cost.py, counts_cost.py,
index_cost.py, announce_cost.py): a mix's rows, as bench/_baseline.py makes them, are staged in
a table and then inserted into `events` again batch by batch, so that two databases can be
given the very same batches in turn and PostgreSQL's CPU per batch compared."""

import os
import statistics
import time
from pathlib import Path

# Moves the rows `events` holds into `staged`, numbered in id order, and empties `events`.
STAGE = (
    "CREATE TABLE staged AS SELECT row_number() OVER (ORDER BY id) AS n, node_id, session_id,"
    " event_id, event_type, node_timestamp, timestamp AS ts, created_at, data FROM events;"
    " CREATE INDEX ON staged (n); TRUNCATE events"
)
# Inserts the staged rows numbered in (%s, %s].
INSERT = (
    "INSERT INTO events (node_id, session_id, event_id, event_type, node_timestamp, timestamp,"
    " created_at, data) SELECT node_id, session_id, event_id, event_type, node_timestamp, ts,"
    " created_at, data FROM staged WHERE n > %s AND n <= %s ORDER BY n"
)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Inserts:
    """Batches of staged rows inserted on connections (key → connection, in autocommit), timed
    one by one, with the CPU each connection's server process spent on them."""

    def __init__(self, conns: dict):
        self._conns = conns
        self._pids = {}
        for key, conn in conns.items():
            with conn.cursor() as cur:
                cur.execute("SELECT pg_backend_pid()")
                self._pids[key] = cur.fetchone()[0]
        self._cpu = {key: cpu_seconds(pid) for key, pid in self._pids.items()}
        self.times = {key: [] for key in conns}  # ms per INSERT

    def insert(self, key, first: int, last: int) -> None:
        """Insert the staged rows numbered in (first, last] on connection `key`."""
        with self._conns[key].cursor() as cur:
            started = time.perf_counter()
            cur.execute(INSERT, (first, last))
            self.times[key].append((time.perf_counter() - started) * 1000)

    def per_batch(self, key) -> tuple[float, float]:
        """The median wall time of connection `key`'s INSERTs, and its server's CPU per INSERT
        since the start (from /proc: unlike wall time, hardly moved by other load), in ms."""
        cpu = cpu_seconds(self._pids[key]) - self._cpu[key]
        return statistics.median(self.times[key]), cpu * 1000 / len(self.times[key])
