"""The work-package pipeline: GET /api/workpackages and GET /api/workpackages/<hash>.

Read from the tables a trigger on `events` keeps (schema/017_work_packages.sql): one pipeline
per node and work-package (its events linked by their JIP-3 event IDs within the node's
session), one row per work-package hash, and the failures with their reasons.

The funnel counts pipelines that began in a window: a primary guarantor's begins with a builder's
submission (90), a secondary's with a primary sharing the package (91). Each stage's count is
how many got that far; its latency is the time from the pipeline's first event to the stage on
the node's own clock (one node's pipeline is timed by one clock).
"""

import re
from datetime import UTC, datetime, timedelta

from flask import Blueprint, request

from tart.web import filters
from tart.web.api.page_cache import kept
from tart.web.db import pool
from tart.web.errors import ApiError
from tart.web.event_json import iso, utc

blueprint = Blueprint("workpackages", __name__, url_prefix="/api")

# The list is kept this long by each web worker (tart.web.api.page_cache): dashboards poll it,
# and it costs PostgreSQL milliseconds; a second's delay hides a block or package only briefly.
LIST_LIFETIME = 1.0

DEFAULT_WINDOW = timedelta(hours=1)
EARLIEST = datetime(1971, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)
PERCENTILES = (50, 90, 99)
# The stages of each role's pipeline in order, by their columns in work_package_pipelines.
PRIMARY_STAGES = (
    "submitted",
    "received",
    "authorized",
    "refined",
    "report_built",
    "guarantee_built",
    "guarantee_sent",
    "distributed",
)
SECONDARY_STAGES = ("submitted", "received", "authorized", "refined", "report_built",
                    "signature_sent")  # fmt: skip
STAGES = (*PRIMARY_STAGES[:-3], "signature_sent", *PRIMARY_STAGES[-3:])
FAILURE_NAMES = {92: "WorkPackageFailed", 99: "WorkPackageSharingFailed",
                 107: "GuaranteeSendFailed"}  # fmt: skip
_HASH = re.compile(r"(0[xX])?[0-9a-fA-F]{64}")
_FRACTIONS = "ARRAY[" + ",".join(str(p / 100) for p in PERCENTILES) + "]"
# The furthest stage a pipeline reached, as an index into STAGES.
_FURTHEST = (
    "CASE "
    + " ".join(
        f"WHEN p.{stage} IS NOT NULL THEN {index}"
        for index, stage in reversed(list(enumerate(STAGES)))
    )
    + " END"
)


@blueprint.get("/workpackages")
@kept(LIST_LIFETIME, until_commit=False)
def list_work_packages():
    limit = filters.limit(request.args.get("limit"))
    since, until = _window(request.args)
    rows = pool().prepared(
        f"SELECT w.work_package_hash, w.core, {utc('w.first_seen_at')}, "
        f"(SELECT max({_FURTHEST}) FROM work_package_pipelines p "
        f" WHERE p.work_package_hash = w.work_package_hash), "
        f"(SELECT count(*) FROM work_package_pipelines p "
        f" WHERE p.work_package_hash = w.work_package_hash), "
        f"(SELECT count(*) FROM work_package_pipelines p JOIN work_package_failures f "
        f" USING (session_id, submission_id) WHERE p.work_package_hash = w.work_package_hash) "
        f"FROM work_packages w WHERE w.first_seen_at >= $1 AND w.first_seen_at < $2 "
        f"ORDER BY w.first_seen_at DESC, w.work_package_hash LIMIT $3",
        (since, until, limit),
    )
    return {
        "since": iso(since),
        "until": iso(until),
        "work_packages": [
            {
                "work_package_hash": work_package_hash,
                "core": core,
                "first_seen_at": first_seen_at,
                "furthest_stage": None if furthest is None else STAGES[furthest],
                "pipelines": pipelines,
                "failures": failures,
            }
            for work_package_hash, core, first_seen_at, furthest, pipelines, failures in rows
        ],
        "funnel": _funnels(since, until),
        "failures": _failures(since, until),
    }


@blueprint.get("/workpackages/<work_package_hash>")
def work_package(work_package_hash):
    if not _HASH.fullmatch(work_package_hash):
        raise ApiError(
            400,
            "a work-package hash is 64 hexadecimal characters, optionally prefixed with 0x",
            parameter="work_package_hash",
            value=work_package_hash,
        )
    wanted = "0x" + work_package_hash.lower().removeprefix("0x")
    package = pool().prepared_one(
        f"SELECT core, {utc('first_seen_at')} FROM work_packages WHERE work_package_hash = $1",
        (wanted,),
    )
    if package is None:
        raise ApiError(404, "no node has reported this work-package", work_package_hash=wanted)
    stages = ", ".join(utc(f"p.{stage}") for stage in STAGES)
    rows = pool().prepared(
        f"SELECT p.node_id, n.implementation_name, p.session_id, p.submission_id::text, "
        f"p.shared, {utc('p.created_at')}, p.duplicate, p.guarantees_sent, "
        f"{_FURTHEST}, {utc('p.failed')}, p.failure, {stages} "
        f"FROM work_package_pipelines p LEFT JOIN known_nodes n USING (node_id) "
        f"WHERE p.work_package_hash = $1 ORDER BY p.shared NULLS LAST, p.created_at, p.node_id",
        (wanted,),
    )
    failures = _pipeline_failures(wanted)
    pipelines = []
    for row in rows:
        node_id, name, session_id, submission_id, shared, created_at, duplicate, sent = row[:8]
        furthest, failed, failure, *times = row[8:]
        pipelines.append(
            {
                "node_id": node_id,
                "implementation_name": name,
                "session_id": session_id,
                "submission_event_id": int(submission_id),
                "role": None if shared is None else ("secondary" if shared else "primary"),
                "created_at": created_at,
                "duplicate": duplicate,
                "guarantees_sent": sent,
                "furthest_stage": None if furthest is None else STAGES[furthest],
                "stages": dict(zip(STAGES, times)),
                "failed": failed,
                "failure": failure,
                "failures": failures.get((session_id, submission_id), []),
            }
        )
    core, first_seen_at = package
    reached = [p["furthest_stage"] for p in pipelines if p["furthest_stage"]]
    return {
        "work_package_hash": wanted,
        "core": core,
        "first_seen_at": first_seen_at,
        "furthest_stage": max(reached, key=STAGES.index) if reached else None,
        "pipelines": pipelines,
    }


def _window(args) -> tuple[datetime, datetime]:
    """`since` and `until` (ISO 8601; until defaults to now, since to an hour before until)."""
    until = _time(args, "until") or datetime.now(UTC)
    since = _time(args, "since") or until - DEFAULT_WINDOW
    if since >= until:
        raise ApiError(400, "since must be before until", since=args.get("since"))
    return since, until


def _time(args, name) -> datetime | None:
    if args.get(name) is None:
        return None
    value = filters.time(args[name], name)
    # Within what a window can be computed from without overflowing.
    if not EARLIEST <= value <= LATEST:
        raise filters.FilterError(
            f"{name} must be a time from {EARLIEST.year} to {LATEST.year}", name, args[name]
        )
    return value


# Per role (shared), every stage's count and, but for the first, its latency percentiles (as
# intervals: ordering by an interval is cheaper than by its conversion to a number).
_FUNNEL = (
    "SELECT p.shared, count(p.failed), count(*) FILTER (WHERE p.duplicate), "
    + ", ".join(f"count(p.{stage})" for stage in STAGES)
    + ", "
    + ", ".join(
        f"percentile_cont({_FRACTIONS}) WITHIN GROUP (ORDER BY p.{stage} - p.submitted)"
        for stage in STAGES[1:]
    )
    + " FROM work_package_pipelines p WHERE p.created_at >= $1 AND p.created_at < $2"
    " AND p.shared IS NOT NULL GROUP BY p.shared"
)


def _funnels(since: datetime, until: datetime) -> dict:
    rows = {row[0]: row[1:] for row in pool().prepared(_FUNNEL, (since, until))}
    return {
        "primary": _funnel(rows.get(False), PRIMARY_STAGES),
        "secondary": _funnel(rows.get(True), SECONDARY_STAGES),
    }


def _funnel(row, stages: tuple) -> dict:
    failed, duplicate, *rest = row or (0, 0, *[0] * len(STAGES), *[None] * (len(STAGES) - 1))
    counts = dict(zip(STAGES, rest[: len(STAGES)]))
    latencies = dict(zip(STAGES[1:], rest[len(STAGES) :]))
    return {
        "stages": [
            {
                "stage": stage,
                "count": counts[stage],
                "latency_ms": {
                    f"p{p}": None if value is None else round(value.total_seconds() * 1000, 3)
                    for p, value in zip(
                        PERCENTILES, latencies.get(stage) or [None] * len(PERCENTILES)
                    )
                },
            }
            for stage in stages
        ],
        "failed": failed,
        "duplicate": duplicate,
    }


def _failures(since: datetime, until: datetime) -> list[dict]:
    rows = pool().prepared(
        "SELECT event_type, reason, count(*) FROM work_package_failures "
        "WHERE created_at >= $1 AND created_at < $2 "
        "GROUP BY event_type, reason ORDER BY count(*) DESC, event_type, reason",
        (since, until),
    )
    return [
        {
            "event_type": event_type,
            "event_name": FAILURE_NAMES[event_type],
            "reason": reason,
            "count": count,
        }
        for event_type, reason, count in rows
    ]


def _pipeline_failures(work_package_hash: str) -> dict:
    rows = pool().prepared(
        f"SELECT f.session_id, f.submission_id::text, f.event_type, f.reason, "
        f"{utc('f.created_at')}, {utc('f.node_time')} "
        f"FROM work_package_pipelines p JOIN work_package_failures f "
        f"USING (session_id, submission_id) WHERE p.work_package_hash = $1 "
        f"ORDER BY f.created_at",
        (work_package_hash,),
    )
    found = {}
    for session_id, submission_id, event_type, reason, created_at, node_time in rows:
        found.setdefault((session_id, submission_id), []).append(
            {
                "event_type": event_type,
                "event_name": FAILURE_NAMES[event_type],
                "reason": reason,
                "received_at": created_at,
                "timestamp": node_time,
            }
        )
    return found
