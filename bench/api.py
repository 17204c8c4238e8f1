"""HTTP API latency with a large events table: p50/p99 per endpoint under concurrent clients.

    .venv/bin/python bench/api.py [--rows 10000000] [--seconds 10] [--clients 20]
                                  [--data-dir DIR] [--only TEXT] [--commits-per-second N]

Starts an embedded PostgreSQL (in DIR if given, kept and reused when it already holds the same
rows; else a temporary one), fills it with synthetic telemetry of --nodes nodes spread over 30
daily partitions, starts gunicorn (2 gevent workers, as deployed) and then, endpoint by
endpoint, keeps --clients closed-loop keep-alive HTTP clients (bench/api_load.py) busy for
--seconds. Prints p50/p99 per endpoint, against its target, and the CPU time the web workers
and PostgreSQL spent per request (which other work on a shared machine hardly moves, unlike
latency) and, when every endpoint ran, writes bench/results/api.json. Run it on a quiet
machine: clients, web workers and PostgreSQL share its cores.

Nothing is stored meanwhile unless --commits-per-second is given: then each endpoint is
measured twice, first quiet and then while batches of --events-per-commit events are committed
and announced as ingest does (bench/_committer.py), so that the web workers' kept event pages
go stale as on a live network; both figures are printed side by side and the results go to
bench/results/api-commits.json.
"""

import argparse
import contextlib
import hashlib
import http.client
import json
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import _propagation_data
import api_load
import psutil
from _committer import Committer
from psycopg2.extras import Json, execute_values

from tart.config import Settings
from tart.db.connect import connect
from tart.db.embedded import EmbeddedPostgres
from tart.db.migrate import migrate
from tart.protocol import EVENTS
from tart.protocol.samples import sample

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "api.json"
RESULTS_WITH_COMMITS = REPO / "bench" / "results" / "api-commits.json"
TARGET_P99_MS = 20.0  # the TARGETED pages, commits or not (issue #22)
TARGET_OTHER_P99_MS = 50.0  # a node's events of a type (#22); analytics, blocks, packages (#16)
WORKERS = 2
DAYS = 30  # the default retention: one partition per day
VARIANTS = 16  # distinct sample payloads per event kind
CORE_COUNT = 341

# Events of each kind in one 6-second slot of a validator, as on a large network: blocks,
# announcements, connections and the work-package pipeline; about 1 in 100 slots authored.
SLOT_MIX = {
    "Status": 3,
    "BestBlockChanged": 1,
    "FinalizedBlockChanged": 1,
    "Importing": 1,
    "BlockVerified": 1,
    "BlockExecuted": 1,
    "BlockAnnounced": 24,
    "ConnectingOut": 4,
    "ConnectedOut": 4,
    "Disconnected": 4,
    "WorkPackageSubmission": 6,
    "WorkPackageReceived": 6,
    "Authorized": 6,
    "Refined": 6,
    "WorkReportBuilt": 6,
    "GuaranteeBuilt": 6,
}
AUTHORED_EVERY = 100  # rows of the slot pattern between two Authored events
# Triggers that keep block and work-package tables (schema/016, 017).
DERIVED_BY = ("events_track_blocks", "events_track_work_packages")

# Paths drawn beforehand for an endpoint whose path varies (a random node id, cursor, ...).
PATHS_PER_ENDPOINT = 1000

IMPLEMENTATIONS = ("polkajam", "jamduna", "pbnj", "typeberry", "jamixir", "tessera")


def main():
    options = _arguments()
    options.load_average_at_start = os.getloadavg()
    data_dir = Path(options.data_dir or tempfile.mkdtemp(prefix="tart-bench-api-"))
    server = EmbeddedPostgres(data_dir)
    try:
        url = server.start()
        _tune(url)
        migrate(url)
        node_ids = _nodes(options.nodes)
        if _stored_rows(url) != options.rows:
            _load(url, node_ids, options.rows)
        _keep_minute_counts(url)
        results = _run_web(url, server.pgdata, node_ids, options)
    finally:
        server.stop()
        if not options.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
    if not options.only:
        _report(results, options)


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="events to store")
    parser.add_argument("--nodes", type=int, default=100, help="nodes the events come from")
    parser.add_argument("--seconds", type=float, default=10.0, help="load per endpoint")
    parser.add_argument("--clients", type=int, default=20, help="concurrent HTTP clients")
    parser.add_argument("--data-dir", help="keep the database here and reuse it next time")
    parser.add_argument("--only", help="load only the endpoints whose name contains this")
    parser.add_argument(
        "--commits-per-second",
        type=float,
        default=0.0,
        help="commit batches of events this often while measuring [0: never]",
    )
    parser.add_argument(
        "--events-per-commit", type=int, default=100, help="events in each of those batches [100]"
    )
    return parser.parse_args()


def _tune(url):
    """The load needs no durability; bigger WAL segments spare checkpoints while loading."""
    conn = connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        for setting in (
            "fsync = off",
            "synchronous_commit = off",
            "max_wal_size = '8GB'",
            "full_page_writes = off",
            "maintenance_work_mem = '512MB'",
        ):
            cur.execute(f"ALTER SYSTEM SET {setting}")
        cur.execute("SELECT pg_reload_conf()")
    conn.close()


def _nodes(count):
    return [hashlib.sha256(f"bench-node-{n}".encode()).hexdigest() for n in range(count)]


def _stored_rows(url):
    conn = connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT coalesce(sum(event_count), 0) FROM known_nodes")
        (rows,) = cur.fetchone()
    conn.close()
    return int(rows)


def _keep_minute_counts(url):
    """Delete the counts by minute past their retention, as ingest's maintenance would: the
    load counts all DAYS of events by minute. What is left is rewritten in time order, the
    order ingest writes them in (the load's statements write them in no particular order), so
    that a range of minutes is a range of the table's pages, as in a live database."""
    conn = connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(
            "DELETE FROM event_stats_minute WHERE minute < now() - make_interval(days => %s)",
            (Settings.from_env().minute_aggregate_retention_days,),
        )
        if cur.rowcount:
            cur.execute("CLUSTER event_stats_minute USING event_stats_minute_pkey")
            cur.execute("ANALYZE event_stats_minute")
    conn.close()


def _slot_pattern():
    """The event type of each position in the repeating pattern of rows, Authored included."""
    discriminators = {event.event_name: d for d, event in EVENTS.items()}
    pattern = [discriminators[name] for name, count in SLOT_MIX.items() for _ in range(count)]
    random.Random(1).shuffle(pattern)
    return pattern


def _load(url, node_ids, rows):
    """Store `rows` events, generated inside PostgreSQL from a table of sample payloads."""
    started = time.monotonic()
    conn = connect(url)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute(
        "TRUNCATE events, decode_errors, sessions, known_nodes, ingest_stats, event_stats_minute,"
        " event_stats_hourly, event_count_ranges, blocks, block_sightings, work_packages,"
        " work_package_pipelines, work_package_failures"
    )
    today = datetime.now(UTC).date()
    for back in range(DAYS + 1):  # the oldest rows are DAYS days old
        cur.execute(
            "SELECT to_char(%s::date - %s, 'YYYYMMDD'), (%s::date - %s)::timestamp "
            "AT TIME ZONE 'UTC'",
            (today, back, today, back),
        )
        name, start = cur.fetchone()
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS events_{name} PARTITION OF events "
            f"FOR VALUES FROM (%s) TO (%s::timestamptz + interval '1 day')",
            (start, start),
        )
    rng = random.Random(2)
    for n, node_id in enumerate(node_ids):
        cur.execute(
            "INSERT INTO known_nodes (node_id, implementation_name, implementation_version,"
            " gp_version, note, flags, genesis, params, peer_address, protocol_version,"
            " connected_at, last_seen_at, active_sessions)"
            " VALUES (%s, %s, '0.1.0', '0.7.1', '', 1, %s, %s, %s, 0, now() - interval '1 hour',"
            " now(), %s)",
            (
                node_id,
                IMPLEMENTATIONS[n % len(IMPLEMENTATIONS)],
                "0x" + "11" * 32,
                Json({"core_count": CORE_COUNT, "layout": "0.7"}),
                Json({"address": f"10.0.0.{n % 250 + 1}", "port": 30333}),
                int(n % 10 != 0),
            ),
        )
        cur.execute(
            "INSERT INTO sessions (node_id, remote_address, protocol_version) VALUES (%s, %s, 0)",
            (node_id, f"10.0.0.{n % 250 + 1}:40000"),
        )
    cur.execute("CREATE TEMP TABLE pattern (position int, event_type smallint)")
    pattern = _slot_pattern()
    execute_values(cur, "INSERT INTO pattern VALUES %s", list(enumerate(pattern)))
    cur.execute("CREATE TEMP TABLE payloads (event_type smallint, variant int, data jsonb)")
    authored = next(d for d, event in EVENTS.items() if event.event_name == "Authored")
    execute_values(
        cur,
        "INSERT INTO payloads VALUES %s",
        [
            (d, v, Json({EVENTS[d].event_name: sample(EVENTS[d], CORE_COUNT, rng)}))
            for d in {*pattern, authored}
            for v in range(VARIANTS)
        ],
    )
    cur.execute(
        "CREATE TEMP TABLE node_list AS SELECT n - 1 AS position, node_id, "
        "(SELECT id FROM sessions s WHERE s.node_id = l.node_id) AS session_id "
        "FROM unnest(%s::text[]) WITH ORDINALITY AS l(node_id, n)",
        (node_ids,),
    )
    cur.execute("ANALYZE pattern; ANALYZE payloads; ANALYZE node_list")
    # Building the secondary indexes once after the load is several times faster than
    # maintaining them row by row; they are recreated from their own definitions.
    cur.execute(
        "SELECT indexname, replace(indexdef, ' ON ONLY ', ' ON ') FROM pg_indexes "
        "WHERE tablename = 'events' AND indexname <> 'events_pkey'"
    )
    indexes = cur.fetchall()
    for name, _ in indexes:
        cur.execute(f"DROP INDEX {name}")
    # Sample events link to nothing: the derived tables are filled on their own, below.
    cur.execute(f"ALTER TABLE events DISABLE TRIGGER {', DISABLE TRIGGER '.join(DERIVED_BY)}")
    span_us = DAYS * 86_400_000_000 - 3_600_000_000  # up to an hour ago
    first_us = int(time.time() * 1_000_000) - DAYS * 86_400_000_000 + 1
    chunk = 1_000_000
    for low in range(1, rows + 1, chunk):
        high = min(low + chunk - 1, rows)
        # Ids grow with created_at, as the ingest writer assigns them. Node g % nodes sends
        # the pattern in turn (its k-th event is pattern[k % len]), with every
        # AUTHORED_EVERY-th of its events an Authored one.
        cur.execute(
            "INSERT INTO events (id, node_id, session_id, event_id, event_type, node_timestamp,"
            " timestamp, created_at, data) "
            "SELECT g, n.node_id, n.session_id, k, p.event_type,"
            " (t - 1735732800000000 - 50000)::numeric, to_timestamp((t - 50000) / 1e6),"
            " to_timestamp(t / 1e6), d.data "
            "FROM generate_series(%(low)s::bigint, %(high)s) g"
            " CROSS JOIN LATERAL (SELECT"
            "   %(first)s::bigint + (g::numeric * %(span)s / %(rows)s)::bigint AS t,"
            "   g / %(nodes)s AS k) per_node"
            " JOIN node_list n ON n.position = g %% %(nodes)s"
            " JOIN pattern p0 ON p0.position = k %% %(pattern)s"
            " CROSS JOIN LATERAL (SELECT CASE WHEN k %% %(authored_every)s = 0"
            "   THEN %(authored)s::smallint ELSE p0.event_type END AS event_type) p"
            " JOIN payloads d ON d.event_type = p.event_type AND d.variant = k %% %(variants)s",
            {
                "low": low,
                "high": high,
                "nodes": len(node_ids),
                "pattern": len(pattern),
                "authored_every": AUTHORED_EVERY,
                "authored": authored,
                "variants": VARIANTS,
                "first": first_us,
                "span": span_us,
                "rows": rows,
            },
        )
        print(f"\rloaded {high:,} of {rows:,} events", end="", flush=True)
    print()
    for _, definition in indexes:
        cur.execute(definition)
    cur.execute(f"ALTER TABLE events ENABLE TRIGGER {', ENABLE TRIGGER '.join(DERIVED_BY)}")
    _propagation_data.load(
        cur, node_ids, rows, len(pattern), SLOT_MIX["WorkPackageSubmission"], DAYS
    )
    cur.execute("SELECT setval('events_id_seq', %s)", (rows,))
    cur.execute("SELECT tart_fold_event_counts()")  # the event counts, as ingest keeps them
    cur.execute(
        "UPDATE known_nodes SET event_count = c.events, best_slot = c.events / 10,"
        " finalized_slot = c.events / 10 - 2, best_hash = '0x' || repeat('ab', 32)"
        " FROM (SELECT node_id, count(*) AS events FROM events GROUP BY node_id) c"
        " WHERE c.node_id = known_nodes.node_id"
    )
    cur.execute(
        "INSERT INTO decode_errors (node_id, session_id, event_id, discriminator, event_name,"
        " raw, field_path, byte_offset, reason)"
        " SELECT node_id, session_id, g, 13, 'SyncStatusChanged',"
        " '\\x0000000000000000' || '\\x0d61'::bytea, 'SyncStatusChanged.synced', 9,"
        " 'invalid boolean 0x61' FROM node_list, generate_series(1, 200) g"
    )
    cur.execute(
        "INSERT INTO ingest_stats (process_id, host, pid, started_at, updated_at, counters)"
        " VALUES ('bench', 'bench', 1, now(), now(), %s)",
        (
            Json(
                {
                    "active_connections": len(node_ids),
                    "events_received": rows,
                    "events_stored": rows,
                }
            ),
        ),
    )
    # Autovacuum would get there in time; without it index-only scans visit the heap.
    cur.execute("VACUUM ANALYZE")
    conn.close()
    print(f"loaded {rows:,} events in {time.monotonic() - started:.0f} s")


def _endpoints(node_ids, rows):
    rng = random.Random(3)
    slots = _propagation_data.slots(rows, len(node_ids), len(_slot_pattern()))
    packages = max(1, SLOT_MIX["WorkPackageSubmission"] * len(node_ids) // 3)
    return {
        "/api/health": lambda: "/api/health",
        "/api/health/detailed": lambda: "/api/health/detailed",
        "/api/stats": lambda: "/api/stats",
        "/api/nodes": lambda: "/api/nodes",
        "/api/nodes/<id>": lambda: f"/api/nodes/{rng.choice(node_ids)}",
        "/api/nodes/<id>/events?limit=100": lambda: (
            f"/api/nodes/{rng.choice(node_ids)}/events?limit=100"
        ),
        "/api/events?limit=100": lambda: "/api/events?limit=100",
        "/api/events?limit=100&before_id=<random>": lambda: (
            f"/api/events?limit=100&before_id={rng.randrange(1, rows + 2)}"
        ),
        "/api/events?event_type=42&limit=100": lambda: "/api/events?event_type=42&limit=100",
        "/api/events?node_id=<id>&event_type=11&limit=100": lambda: (
            f"/api/events?node_id={rng.choice(node_ids)}&event_type=11&limit=100"
        ),
        "/api/nodes/<id>/errors": lambda: f"/api/nodes/{rng.choice(node_ids)}/errors",
        "/api/blocks": lambda: "/api/blocks",
        "/api/blocks/<hash>": lambda: (
            f"/api/blocks/{_propagation_data.block_hash(rng.randint(1, slots))}"
        ),
        "/api/blocks/<slot>": lambda: f"/api/blocks/{rng.randint(1, slots)}",
        "/api/workpackages": lambda: "/api/workpackages",
        "/api/workpackages?since=<a day ago>": lambda: (
            "/api/workpackages?since="
            + (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        ),
        "/api/workpackages/<hash>": lambda: (
            "/api/workpackages/"
            + _propagation_data.package_hash(rng.randint(1, slots), rng.randint(1, packages))
        ),
        "/metrics": lambda: "/metrics",
        "/api/analytics/timeseries (last hour, by type)": lambda: "/api/analytics/timeseries",
        "/api/analytics/timeseries?by=category (last day)": lambda: (
            f"/api/analytics/timeseries?by=category&from={int(time.time()) - 86400}"
        ),
        "/api/analytics/timeseries?by=node (last day)": lambda: (
            f"/api/analytics/timeseries?by=node&from={int(time.time()) - 86400}"
        ),
        "/api/analytics/timeseries?by=implementation (30 days)": lambda: (
            f"/api/analytics/timeseries?by=implementation&from={int(time.time()) - 30 * 86400}"
        ),
        "/api/analytics/node-counts?event_type=62 (last day)": lambda: (
            f"/api/analytics/node-counts?event_type=62&from={int(time.time()) - 86400}"
        ),
        "/api/analytics/nodes-behind": lambda: "/api/analytics/nodes-behind",
        "/api/analytics/stale-nodes": lambda: "/api/analytics/stale-nodes",
        "/api/analytics/implementations": lambda: "/api/analytics/implementations",
        "/api/analytics/health": lambda: "/api/analytics/health",
    }


TARGETED = (
    "/api/nodes",
    "/api/nodes/<id>",
    "/api/nodes/<id>/events?limit=100",
    "/api/events?limit=100",
    "/api/stats",
)
OTHER_TARGETED = ("/api/events?node_id=", "/api/analytics/", "/api/blocks", "/api/workpackages")


def target(name):
    """The p99 an endpoint must keep, in ms; None: no target."""
    if name in TARGETED:
        return TARGET_P99_MS
    if name.startswith(OTHER_TARGETED):
        return TARGET_OTHER_P99_MS
    return None


def _run_web(url, pgdata, node_ids, options):
    port = _free_port()
    env = dict(
        os.environ,
        DATABASE_URL=url,
        API_BIND=f"127.0.0.1:{port}",
        TART_WEB_WORKERS=str(WORKERS),
        TART_LOG_LEVEL="warning",
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=REPO, env=env
    )
    try:
        _wait_until_serving(port, web)
        if not options.commits_per_second:
            return _load_endpoints(port, node_ids, options, None, ServerCpu(web.pid, pgdata))
        with Committer(url, options.commits_per_second, options.events_per_commit) as committer:
            cpu = ServerCpu(web.pid, pgdata, leave_out=committer.backend_pid)
            return _load_endpoints(port, node_ids, options, committer, cpu)
    finally:
        web.terminate()
        web.wait(30)


class ServerCpu:
    """CPU time spent by the web workers and PostgreSQL's processes (the committer's connection
    left out): unlike latency, hardly moved by other work on a shared machine."""

    def __init__(self, web_pid, pgdata, leave_out=None):
        postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
        self._parents = [psutil.Process(web_pid), psutil.Process(postmaster)]
        self._leave_out = leave_out

    def measure(self, load):
        """api_load.run(*load)'s figures, with the servers' CPU ms per request; None when
        no request was answered in time."""
        before = self._seconds()
        try:
            figures = api_load.run(*load)
        except api_load.ProtocolError as error:
            print(error)
            return None
        after = self._seconds()
        spent = sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())
        figures["server_cpu_ms_per_request"] = round(spent * 1000 / figures["requests"], 3)
        return figures

    def _seconds(self):
        found = {}
        for parent in self._parents:
            for process in parent.children():
                if process.pid == self._leave_out:
                    continue
                with contextlib.suppress(psutil.NoSuchProcess):
                    times = process.cpu_times()
                    found[process.pid] = times.user + times.system
        return found


def _load_endpoints(port, node_ids, options, committer, cpu):
    """Each endpoint's figures; with a committer, {"quiet": ..., "with_commits": ...}."""
    results = {}
    committing = 0.0  # seconds
    for name, path in _endpoints(node_ids, options.rows).items():
        if options.only and options.only not in name:
            continue
        paths = [path() for _ in range(PATHS_PER_ENDPOINT)]
        load = (port, paths, options.clients, options.seconds, name != "/metrics")
        goal = target(name)
        if committer is None:
            results[name] = figures = cpu.measure(load)
            line = _figures(figures, goal)
        else:
            committer.active = False
            quiet = cpu.measure(load)
            committer.active, started = True, time.monotonic()
            results[name] = {"quiet": quiet, "with_commits": (figures := cpu.measure(load))}
            committing += time.monotonic() - started
            line = f"{_figures(quiet, goal)}  | with commits {_figures(figures, goal)}"
        print(f"{name:55} {line}", flush=True)
    if committer is not None:
        committer.active = False
        print(
            f"committed {committer.commits:,} batches of {options.events_per_commit} events"
            f" while measuring with commits ({committer.commits / (committing or 1):.1f}/s)"
        )
    return results


def _figures(figures, goal):
    if figures is None:
        return f"{'no answer in time':56}"
    mark = "" if goal is None else " ok" if figures["p99_ms"] <= goal else " ABOVE"
    return (
        f"p50 {figures['p50_ms']:6.1f} p99 {figures['p99_ms']:6.1f} ms{mark:6}"
        f" {figures['requests_per_second']:5.0f}/s"
        f" cpu {figures['server_cpu_ms_per_request']:5.2f} ms"
        + (f" errors {figures['errors']}" if figures["errors"] else "")
    )


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_serving(port, web):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if web.poll() is not None:
            raise SystemExit(f"gunicorn exited with {web.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not start serving in 60 s")


def _report(results, options):
    path = RESULTS_WITH_COMMITS if options.commits_per_second else RESULTS
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "benchmark": "api",
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                # A busy machine (load average near its cpus before the start) skews every figure.
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "load_average_at_start": options.load_average_at_start,
                    "load_average_at_end": os.getloadavg(),
                },
                "rows": options.rows,
                "nodes": options.nodes,
                "clients": options.clients,
                "seconds_per_endpoint": options.seconds,
                "web_workers": WORKERS,
                "commits_per_second": options.commits_per_second,
                "events_per_commit": options.events_per_commit if options.commits_per_second else 0,
                "client_processes": api_load.PROCESSES,
                "target_p99_ms": {name: target(name) for name in results if target(name)},
                "endpoints": results,
                "targets_met": all(
                    figures is not None and figures["p99_ms"] <= target(name)
                    for name, both in results.items()
                    if target(name)
                    for figures in (both.values() if both and "quiet" in both else [both])
                ),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
