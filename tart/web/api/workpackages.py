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

import orjson
from flask import Blueprint, request

from tart.web import filters
from tart.web.api.page_cache import kept
from tart.web.db import pool
from tart.web.errors import ApiError
from tart.web.event_json import iso, utc
from tart.web.live import changes

blueprint = Blueprint("workpackages", __name__, url_prefix="/api")

# The list is kept this long by each web worker (tart.web.api.page_cache): dashboards poll it,
# and it costs PostgreSQL milliseconds; a second's delay hides a block or package only briefly.
LIST_LIFETIME = 1.0
# A work-package's page is kept until a commit changes that work-package, and at most this long
# for what no commit announces (a node's new implementation name).
DETAILS_LIFETIME = 5.0

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


def _wanted(work_package_hash) -> str:
    """The hash asked for, as stored."""
    if not _HASH.fullmatch(work_package_hash):
        raise ApiError(
            400,
            "a work-package hash is 64 hexadecimal characters, optionally prefixed with 0x",
            parameter="work_package_hash",
            value=work_package_hash,
        )
    return "0x" + work_package_hash.lower().removeprefix("0x")


def _subject(work_package_hash) -> str:
    return changes.work_package(_wanted(work_package_hash))


@blueprint.get("/workpackages/<work_package_hash>")
@kept(DETAILS_LIFETIME, subject=_subject)
def work_package(work_package_hash):
    wanted = _wanted(work_package_hash)
    package = pool().prepared_one(_JOURNEY, (wanted,))
    if package is None:
        raise ApiError(404, "no node has reported this work-package", work_package_hash=wanted)
    core, first_seen_at, furthest, pipelines = package
    return {
        "work_package_hash": wanted,
        "core": core,
        "first_seen_at": first_seen_at,
        "furthest_stage": None if furthest is None else STAGES[furthest],
        "pipelines": orjson.Fragment(pipelines),
    }


# A package's pipelines, each with its failures, as JSON built by PostgreSQL in one statement: a
# package is asked for by hash at random, and rendering its rows in the worker cost it more than
# the queries.
_STAGE_NAMES = "ARRAY[" + ", ".join(f"'{stage}'" for stage in STAGES) + "]"
_FAILURE_NAME = (
    "CASE f.event_type "
    + " ".join(f"WHEN {event_type} THEN '{name}'" for event_type, name in FAILURE_NAMES.items())
    + " END"
)
_PIPELINE_FAILURES = f"""(SELECT coalesce(json_agg(json_build_object(
'event_type', f.event_type, 'event_name', {_FAILURE_NAME}, 'reason', f.reason,
'received_at', {utc("f.created_at")}, 'timestamp', {utc("f.node_time")})
ORDER BY f.created_at), '[]')
FROM work_package_failures f
WHERE f.session_id = p.session_id AND f.submission_id = p.submission_id)"""
_STAGES_JSON = (
    "json_build_object(" + ", ".join(f"'{stage}', {utc(f'p.{stage}')}" for stage in STAGES) + ")"
)
_JOURNEY = f"""SELECT w.core, {utc("w.first_seen_at")},
(SELECT max({_FURTHEST}) FROM work_package_pipelines p
 WHERE p.work_package_hash = w.work_package_hash),
(SELECT coalesce(json_agg(json_build_object(
 'node_id', p.node_id, 'implementation_name', n.implementation_name,
 'session_id', p.session_id, 'submission_event_id', p.submission_id,
 'role', CASE WHEN p.shared THEN 'secondary' WHEN NOT p.shared THEN 'primary' END,
 'created_at', {utc("p.created_at")}, 'duplicate', p.duplicate,
 'guarantees_sent', p.guarantees_sent,
 'furthest_stage', ({_STAGE_NAMES})[{_FURTHEST} + 1],
 'stages', {_STAGES_JSON}, 'failed', {utc("p.failed")}, 'failure', p.failure,
 'failures', {_PIPELINE_FAILURES})
 ORDER BY p.shared NULLS LAST, p.created_at, p.node_id), '[]')
 FROM work_package_pipelines p LEFT JOIN known_nodes n USING (node_id)
 WHERE p.work_package_hash = w.work_package_hash)::text
FROM work_packages w WHERE w.work_package_hash = $1"""


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
