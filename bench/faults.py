"""Fault injection: a PostgreSQL outage while nodes stream, and what TART lost.

    .venv/bin/python bench/faults.py                    # 60 s stopped, 50 nodes × 40 events/s
    .venv/bin/python bench/faults.py --fault restart    # pg_ctl -m fast restart
    .venv/bin/python bench/faults.py --fault read-only --outage 30

A PostgreSQL server of its own (the embedded one, in a temporary directory), one `tart ingest`
and one `tart loadgen`. The fault starts --before seconds into the stream and lasts --outage
seconds; the nodes stream --after seconds more. Then it waits for ingest to catch up and
compares, node by node, what the loadgen's kernel accepted with what the events table holds.
Prints sent, stored, lost and duplicated; exits 1 if anything was lost or stored twice.
"""

import argparse
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _ingest import ingest_env
from _procs import BIN, free_port, wait_for_port

from tart.db.connect import connect
from tart.db.embedded import EmbeddedPostgres
from tart.db.migrate import migrate

CATCH_UP_TIMEOUT = 300


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fault", choices=("stop", "restart", "read-only"), default="stop")
    parser.add_argument("--outage", type=float, default=60.0, help="seconds (default 60)")
    parser.add_argument("--nodes", type=int, default=50)
    parser.add_argument("--rate", type=float, default=40.0, help="events/s per node")
    parser.add_argument("--before", type=float, default=10.0)
    parser.add_argument("--after", type=float, default=20.0)
    options = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="tart-faults-"))
    server = EmbeddedPostgres(work)
    try:
        url = server.start()
        migrate(url)
        report = run(options, server, url, work)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    for line in report["lines"]:
        print(line)
    sys.exit(0 if report["lost"] == 0 and report["duplicated"] == 0 else 1)


def run(options, server, url, work):
    port = free_port()
    env = ingest_env(url, port)
    log = open(work / "ingest.log", "w")
    ingest = subprocess.Popen([str(BIN / "tart"), "ingest"], env=env, stdout=log, stderr=log)
    wait_for_port(port, ingest, "tart ingest", work / "ingest.log")
    summary = work / "summary.json"
    duration = options.before + options.outage + options.after
    loadgen = subprocess.Popen(
        [str(BIN / "tart"), "loadgen", "--telemetry", f"127.0.0.1:{port}",
         "--nodes", str(options.nodes), "--rate", str(options.rate),
         "--duration", str(duration), "--mix", "status", "--summary-json", str(summary)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(options.before)
    fault_started = time.monotonic()
    _fault(options, server, url)
    fault_took = time.monotonic() - fault_started
    loadgen.wait()
    sent = {node["node_id"]: node["events"] for node in json.loads(summary.read_text())["per_node"]}
    caught_up = time.monotonic()
    stored = _stored(url)
    while sum(stored.values()) < sum(sent.values()) and time.monotonic() - caught_up < (
        CATCH_UP_TIMEOUT
    ):
        time.sleep(1)
        stored = _stored(url)
    caught_up = time.monotonic() - caught_up
    alive = ingest.poll() is None
    ingest.send_signal(signal.SIGTERM)
    ingest.wait(60)
    writer_errors = _scalar(url, "SELECT sum((counters->>'writer_errors')::int) FROM ingest_stats")
    lost = sum(max(0, sent[node] - stored.get(node, 0)) for node in sent)
    duplicated = sum(max(0, stored.get(node, 0) - sent[node]) for node in sent)
    total_sent = sum(sent.values())
    return {
        "lost": lost,
        "duplicated": duplicated,
        "lines": [
            f"fault          {options.fault} for {fault_took:.1f} s, {options.before:g} s into "
            f"{options.nodes} nodes × {options.rate:g} events/s",
            f"sent           {total_sent} events (accepted by the loadgen's kernel)",
            f"stored         {sum(stored.values())} events",
            f"lost           {lost}",
            f"duplicated     {duplicated}",
            f"nodes short    {sum(1 for node in sent if stored.get(node, 0) < sent[node])}",
            f"writer errors  {writer_errors} (database errors waited out)",
            f"caught up      {caught_up:.1f} s after the loadgen ended",
            f"ingest alive   {'yes' if alive else 'NO'}; exit status {ingest.returncode}",
        ],
    }


def _fault(options, server, url):
    if options.fault == "restart":
        server.stop()
        server.start()
    elif options.fault == "stop":
        server.stop()
        time.sleep(options.outage)
        server.start()
    else:
        _set_read_only(url, True)
        time.sleep(options.outage)
        _set_read_only(url, False)


def _set_read_only(url, on):
    conn = connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SET default_transaction_read_only = off")
        cur.execute(f"ALTER SYSTEM SET default_transaction_read_only = {'on' if on else 'off'}")
        cur.execute("SELECT pg_reload_conf()")
    conn.close()


def _stored(url):
    conn = connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT node_id, count(*) FROM events GROUP BY node_id")
            return dict(cur.fetchall())
    finally:
        conn.close()


def _scalar(url, sql):
    conn = connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchone()[0]
    finally:
        conn.close()


if __name__ == "__main__":
    main()
