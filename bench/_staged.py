"""The per-batch cost benchmarks' method (bench/propagation_cost.py, counts_cost.py,
index_cost.py): a mix's rows, as bench/_baseline.py makes them, are staged in a table and then
inserted into `events` again batch by batch, so that two databases can be given the very same
batches in turn and PostgreSQL's CPU per batch compared."""

import os
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
