"""Load steps against `tart ingest` (bench/_ingest.py) fed by `tart loadgen`: what a step sent,
stored and lost, at what rate and batch latency; and an ingest's memory per idle connection.
"""

import contextlib
import json
import tempfile
import time
from pathlib import Path

from _histogram import histogram_delta, histogram_quantile, ms
from _loadgen import loadgen

from tart.loadgen.runner import TICK as LOADGEN_TICK

# Seconds after the last node started that do not count towards a step's stored rate yet: the
# ingest's queue and batches reach their working size.
WARM_UP = 3.0
# How long a step may take after the loadgen ends for ingest to store its queue.
DRAIN_TIMEOUT = 300.0


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
        # nodes × rate, except in a mix whose nodes' rates differ (lifecycles).
        "offered_per_second": round(summary["offered_rate"]),
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
        "batch_write_p50_ms": ms(histogram_quantile(latency, 0.50)),
        "batch_write_p99_ms": ms(histogram_quantile(latency, 0.99)),
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
