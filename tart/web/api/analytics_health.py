"""GET /api/analytics/health: a score from 0 to 100 and the anomalies that lowered it.

Over the last TART_HEALTH_WINDOW seconds (event counts by minute, so the window is widened to
whole minutes) and the nodes as they are now, each kind of anomaly costs at most its weight:

- a class of events failing: in a category of the spec (block authoring, guaranteeing, ...), its
  failure events (names with "Failed") are more than TART_HEALTH_FAILURE_RATE of its events;
  FAILURE_WEIGHT per category, at most FAILURE_WEIGHT_MAX in all;
- nodes behind: connected nodes more than TART_HEALTH_BEHIND_SLOTS behind the best block cost
  their share of connected nodes times NODES_WEIGHT;
- nodes silent: connected nodes that have sent nothing for TART_HEALTH_SILENT_SECONDS, likewise;
- dropped events: nodes' Dropped events (each a gap in a node's telemetry) more than
  TART_HEALTH_DROPPED_RATE of all events: DROPPED_WEIGHT;
- decode errors: frames that did not decode, more than TART_HEALTH_DECODE_ERROR_RATE of all
  events: DECODE_WEIGHT.
"""

from datetime import UTC, datetime, timedelta

from flask import Blueprint, current_app

from tart.protocol import CATEGORIES, EVENTS, discriminator
from tart.web import event_json
from tart.web.api import analytics_range
from tart.web.api.page_cache import kept
from tart.web.db import pool

blueprint = Blueprint("analytics_health", __name__, url_prefix="/api/analytics")

FAILURE_WEIGHT = 10
FAILURE_WEIGHT_MAX = 30
NODES_WEIGHT = 30
DROPPED_WEIGHT = 10
DECODE_WEIGHT = 10
HEALTHY = 90  # scores from here up are "healthy"; from DEGRADED up "degraded"
DEGRADED = 60
DROPPED = discriminator("Dropped")


@blueprint.get("/health")
@kept(analytics_range.PAGE_LIFETIME, until_commit=False)
def network_health():
    settings = current_app.config["TART_SETTINGS"]
    now = datetime.now(UTC)
    since = analytics_range.floor(
        now - timedelta(seconds=settings.health_window), analytics_range.MINUTE
    )
    # Not prepared: a generic plan cannot know that `since` leaves a few minutes of counts and
    # would read all of them.
    by_type = dict(
        pool().query(
            "SELECT event_type, sum(event_count)::bigint FROM event_stats_minute"
            " WHERE minute >= %s GROUP BY 1",
            (since,),
        )
    )
    connected, behind, silent, best, decode_errors = pool().query_one(
        "WITH best AS (SELECT max(best_slot) AS slot FROM known_nodes WHERE is_connected)"
        " SELECT count(*) FILTER (WHERE is_connected),"
        " count(*) FILTER (WHERE is_connected AND best_slot < best.slot - %s),"
        " count(*) FILTER (WHERE is_connected"
        "  AND coalesce(last_seen_at, connected_at) < now() - make_interval(secs => %s)),"
        " min(best.slot), (SELECT count(*) FROM decode_errors WHERE received_at >= %s)"
        " FROM known_nodes, best",
        (settings.health_behind_slots, settings.health_silent_seconds, since),
    )
    total = sum(by_type.values())
    anomalies = _failing_classes(by_type, settings.health_failure_rate)
    for kind, nodes, threshold, what in (
        ("nodes_behind", behind, settings.health_behind_slots, "slots behind the best block"),
        ("nodes_silent", silent, settings.health_silent_seconds, "s silent"),
    ):
        if nodes:
            anomalies.append(
                {
                    "kind": kind,
                    "message": f"{nodes} of {connected} connected nodes more than "
                    f"{threshold:g} {what}",
                    "value": nodes,
                    "threshold": threshold,
                    "penalty": round(NODES_WEIGHT * nodes / connected, 1),
                }
            )
    for kind, count, limit, weight, what in (
        ("dropped_events", by_type.get(DROPPED, 0), settings.health_dropped_rate,
         DROPPED_WEIGHT, "Dropped events (gaps in nodes' telemetry)"),
        ("decode_errors", decode_errors, settings.health_decode_error_rate,
         DECODE_WEIGHT, "frames that did not decode"),
    ):  # fmt: skip
        if count and count > limit * total:
            anomalies.append(
                {
                    "kind": kind,
                    "message": f"{count} {what} against {total} events",
                    "value": count,
                    "threshold": limit,
                    "penalty": float(weight),
                }
            )
    score = max(0, round(100 - sum(anomaly["penalty"] for anomaly in anomalies)))
    status = "healthy" if score >= HEALTHY else "degraded" if score >= DEGRADED else "unhealthy"
    return {
        "score": score,
        "status": status,
        "since": event_json.iso(since),
        "events": total,
        "connected_nodes": connected,
        "best_slot": best,
        "anomalies": anomalies,
    }


def _failing_classes(by_type, limit):
    """Categories whose failure events are more than `limit` of their events."""
    anomalies, spent = [], 0
    for category in CATEGORIES:
        events = sum(by_type.get(d, 0) for d in category.discriminators)
        failures = sum(
            by_type.get(d, 0) for d in category.discriminators if "Failed" in EVENTS[d].event_name
        )
        if events and failures > limit * events:
            penalty = min(FAILURE_WEIGHT, FAILURE_WEIGHT_MAX - spent)
            spent += penalty
            anomalies.append(
                {
                    "kind": "failure_rate",
                    "category": category.key,
                    "message": f"{failures} of {events} {category.heading.lower()} are failures",
                    "value": round(failures / events, 6),
                    "threshold": limit,
                    "penalty": float(penalty),
                }
            )
    return anomalies
