"""GET /api/health/detailed: each component's state; 503 when TART cannot serve (no database).

`status` is `unhealthy` when the database cannot be reached, `degraded` when a component needs
attention (no ingest process reporting, an ingest queue over QUEUE_DEGRADED_SHARE full, a
writer with events waiting and nothing committed for WRITER_STALLED_SECONDS, a read-only or slow
database, memory nearly full) and `healthy` otherwise. A load balancer may use the status code:
200 for healthy and degraded, 503 else.
"""

import time
from datetime import UTC, datetime

import orjson
import psutil
import psycopg2
from flask import Blueprint, current_app

import tart
from tart.db.connect import DatabaseUnavailable, first_line
from tart.web import metrics
from tart.web.db import pool
from tart.web.event_json import iso

blueprint = Blueprint("health_detailed", __name__, url_prefix="/api")

SLOW_DATABASE_MS = 1000
MEMORY_DEGRADED_PERCENT = 90
QUEUE_DEGRADED_SHARE = 0.8
WRITER_STALLED_SECONDS = 10


@blueprint.record_once
def _note_start(state):
    state.app.extensions["tart_started"] = time.monotonic()


@blueprint.get("/health/detailed")
def detailed():
    database = _database()
    reachable = database["status"] != "unhealthy"
    components = {
        "database": database,
        "ingest": _ingest() if reachable else _unknown("the database is unreachable"),
        "broadcaster": _broadcaster(),
        "memory": _memory(),
    }
    states = {component["status"] for component in components.values()}
    status = "unhealthy" if not reachable else "degraded" if states - {"healthy"} else "healthy"
    body = {
        "status": status,
        "timestamp": iso(datetime.now(UTC)),
        "components": components,
        "version": tart.__version__,
        # Of this web worker, which is what answers this request.
        "uptime_seconds": int(time.monotonic() - current_app.extensions["tart_started"]),
    }
    return body, 503 if status == "unhealthy" else 200


def _database() -> dict:
    started = time.perf_counter()
    try:
        version, read_only = pool().prepared_one(
            "SELECT current_setting('server_version'),"
            " current_setting('default_transaction_read_only') = 'on' OR pg_is_in_recovery()"
        )
    except DatabaseUnavailable as error:
        return {"status": "unhealthy", "latency_ms": None, "message": str(error)}
    except psycopg2.Error as error:
        return {"status": "unhealthy", "latency_ms": None, "message": first_line(error)}
    latency_ms = round((time.perf_counter() - started) * 1000, 2)
    if read_only:
        status, message = "degraded", f"PostgreSQL {version} is read-only: events cannot be stored"
    elif latency_ms > SLOW_DATABASE_MS:
        status, message = "degraded", f"PostgreSQL {version} answers slowly"
    else:
        status, message = "healthy", f"Connected to PostgreSQL {version}"
    return {"status": status, "latency_ms": latency_ms, "message": message}


def _ingest() -> dict:
    live, now, connected, last_write_age = pool().prepared_one(
        "SELECT coalesce(array_agg(counters::text), '{}'),"
        " extract(epoch FROM now())::float8,"
        " (SELECT count(*) FROM known_nodes WHERE is_connected),"
        " (SELECT extract(epoch FROM now() - created_at)::float8 FROM events"
        "  ORDER BY id DESC LIMIT 1) "
        "FROM ingest_stats WHERE updated_at > now() - make_interval(secs => $1)",
        (metrics.LIVE_SECONDS,),
    )
    processes = [orjson.loads(counters) for counters in live]
    queued = sum(p.get("buffer_pending") or 0 for p in processes)
    capacity = sum(p.get("queue_capacity") or 0 for p in processes)
    stalled = sum(1 for p in processes if _stalled(p, now))
    full = sum(1 for p in processes if _queue_full(p))
    component = {
        "processes": len(processes),
        "connected_nodes": connected,
        "queue_depth": queued,
        "queue_capacity": capacity,
        "stalled_processes": stalled,
        # Seconds since the newest stored event arrived; null when none is stored.
        "last_write_age_seconds": None if last_write_age is None else round(last_write_age, 3),
    }
    if not processes:
        message = f"no ingest process has reported in the last {metrics.LIVE_SECONDS} s"
    elif stalled:
        message = (
            f"{_count(stalled, 'ingest process', 'ingest processes')} with events waiting "
            f"wrote nothing for {WRITER_STALLED_SECONDS} s: is the database writable?"
        )
    elif full:
        message = (
            f"the queue of {_count(full, 'ingest process', 'ingest processes')} is over "
            f"{QUEUE_DEGRADED_SHARE:.0%} full: the database is not keeping up"
        )
    else:
        return {
            "status": "healthy",
            **component,
            "message": f"{_count(len(processes), 'ingest process', 'ingest processes')}, "
            f"{_count(connected, 'node', 'nodes')} connected",
        }
    return {"status": "degraded", **component, "message": message}


def _stalled(counters: dict, now: float) -> bool:
    """Events waiting, and no commit for WRITER_STALLED_SECONDS (or ever, since a start that
    long ago)."""
    if not counters.get("buffer_pending"):
        return False
    last = counters.get("last_write_at") or counters.get("started_at") or 0
    return now - last > WRITER_STALLED_SECONDS


def _queue_full(counters: dict) -> bool:
    capacity = counters.get("queue_capacity") or 0
    return (
        bool(capacity) and (counters.get("buffer_pending") or 0) > QUEUE_DEGRADED_SHARE * capacity
    )


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _broadcaster() -> dict:
    subscribers = int(metrics.live_sum("telemetry_broadcaster_subscribers"))
    return {
        "status": "healthy",
        "subscribers": subscribers,
        "message": f"Broadcasting events to {subscribers} WebSocket "
        f"subscriber{'s' if subscribers != 1 else ''}",
    }


def _memory() -> dict:
    usage = psutil.virtual_memory().percent
    return {
        "status": "degraded" if usage >= MEMORY_DEGRADED_PERCENT else "healthy",
        "usage_percent": usage,
    }


def _unknown(reason: str) -> dict:
    return {"status": "unknown", "message": reason}
