"""GET /api/health/detailed: each component's state; 503 when TART cannot serve (no database).

`status` is `unhealthy` when the database cannot be reached, `degraded` when a component needs
attention (no ingest process reporting, memory nearly full, slow database) and `healthy`
otherwise. A load balancer may use the status code: 200 for healthy and degraded, 503 else.
"""

import time
from datetime import UTC, datetime

import psutil
import psycopg2
from flask import Blueprint, current_app

import tart
from tart.db.connect import DatabaseUnavailable, first_line
from tart.web import metrics
from tart.web.api import shapes
from tart.web.db import pool

blueprint = Blueprint("health_detailed", __name__, url_prefix="/api")

SLOW_DATABASE_MS = 1000
MEMORY_DEGRADED_PERCENT = 90


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
        "timestamp": shapes.iso(datetime.now(UTC)),
        "components": components,
        "version": tart.__version__,
        # Of this web worker, which is what answers this request.
        "uptime_seconds": int(time.monotonic() - current_app.extensions["tart_started"]),
    }
    return body, 503 if status == "unhealthy" else 200


def _database() -> dict:
    started = time.perf_counter()
    try:
        (version,) = pool().prepared_one("SELECT current_setting('server_version')")
    except DatabaseUnavailable as error:
        return {"status": "unhealthy", "latency_ms": None, "message": str(error)}
    except psycopg2.Error as error:
        return {"status": "unhealthy", "latency_ms": None, "message": first_line(error)}
    latency_ms = round((time.perf_counter() - started) * 1000, 2)
    return {
        "status": "degraded" if latency_ms > SLOW_DATABASE_MS else "healthy",
        "latency_ms": latency_ms,
        "message": f"Connected to PostgreSQL {version}",
    }


def _ingest() -> dict:
    processes, queue_depth, connected, last_write_age = pool().prepared_one(
        "SELECT count(*), coalesce(sum((counters->>'buffer_pending')::bigint), 0), "
        "(SELECT count(*) FROM nodes WHERE is_connected), "
        "(SELECT extract(epoch FROM now() - created_at)::float8 FROM events "
        " ORDER BY id DESC LIMIT 1) "
        "FROM ingest_stats WHERE updated_at > now() - make_interval(secs => $1)",
        (metrics.LIVE_SECONDS,),
    )
    component = {
        "processes": processes,
        "connected_nodes": connected,
        "queue_depth": int(queue_depth),
        # Seconds since the newest stored event arrived; null when none is stored.
        "last_write_age_seconds": None if last_write_age is None else round(last_write_age, 3),
    }
    if processes == 0:
        return {
            "status": "degraded",
            **component,
            "message": f"no ingest process has reported in the last {metrics.LIVE_SECONDS} s",
        }
    return {
        "status": "healthy",
        **component,
        "message": f"{processes} ingest process{'es' if processes > 1 else ''}, "
        f"{connected} node{'s' if connected != 1 else ''} connected",
    }


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
