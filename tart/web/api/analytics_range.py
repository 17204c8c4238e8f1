"""The time range of an analytics query, and which event counts answer it.

`from` and `to` are ISO 8601 times (``2026-12-06T20:00:00Z``) or Unix seconds; the range is
widened to whole buckets of the counts that answer it: event_stats_minute for ranges of up to
MINUTE_RANGE within the minute counts' retention, event_stats_hourly beyond. Both are folded in
from the stored events by ingest (schema/021), so the bucket holding now trails the events table
by a second or so, up to 30 s under load.
"""

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from flask import current_app, request

from tart.web.errors import ApiError

# Each web worker keeps an analytics answer this long (tart.web.api.page_cache): dashboards
# poll the same few, and one can take a good part of a second over a year of counts.
PAGE_LIFETIME = 5.0
MINUTE = 60
HOUR = 3600
# Ranges up to this long are answered by the minute counts (if they still hold the range).
MINUTE_RANGE = timedelta(days=3)
DEFAULT_RANGE = timedelta(hours=1)
# Points per series a time series has by default, and at most.
DEFAULT_POINTS = 120
MAX_POINTS = 2000

_UNIX = re.compile(r"[0-9]{1,11}(\.[0-9]{1,6})?")


@dataclass(frozen=True)
class Counts:
    """Which table answers a range, and its bucket."""

    table: str
    bucket: str  # the table's time column
    seconds: int  # its bucket size
    by_node: str  # the table of the same buckets with all event types of a node together


MINUTES = Counts("event_stats_minute", "minute", MINUTE, "event_stats_node_minute")
HOURS = Counts("event_stats_hourly", "hour", HOUR, "event_stats_node_hourly")


@dataclass(frozen=True)
class Range:
    start: datetime
    end: datetime
    counts: Counts

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def time_range(args, now: datetime | None = None) -> Range:
    """`from` and `to` (default: the last hour up to now), widened to the answering buckets."""
    now = now or datetime.now(UTC)
    end = _time(args, "to") or now
    start = _time(args, "from") or end - DEFAULT_RANGE
    if start >= end:
        raise ApiError(400, "from must be before to", parameter="from", value=args.get("from"))
    settings = current_app.config["TART_SETTINGS"]
    kept = timedelta(days=settings.aggregate_retention_days)
    if start < now - kept - timedelta(days=1):
        raise ApiError(
            400,
            f"from is older than the event counts are kept (TART_AGGREGATE_RETENTION_DAYS = "
            f"{settings.aggregate_retention_days})",
            parameter="from",
            value=args.get("from"),
        )
    minutes_kept = timedelta(days=settings.minute_aggregate_retention_days)
    by_minute = end - start <= MINUTE_RANGE and start >= now - minutes_kept
    counts = MINUTES if by_minute else HOURS
    return Range(floor(start, counts.seconds), ceil(end, counts.seconds), counts)


def page_key() -> str:
    """The request's page for tart.web.api.page_cache: its path and query with the range
    widened as time_range() widens it. Dashboards ask for ranges relative to now (`from` a
    day ago, in seconds), a new query string every second for the same answer."""
    args = request.args
    span = time_range(args)
    others = sorted(item for item in args.items(multi=True) if item[0] not in ("from", "to"))
    return f"{request.path}?{urlencode(others)}#{span.start.isoformat()}/{span.end.isoformat()}"


def covering(span: Range) -> tuple[str, dict]:
    """A subquery of the counts (node_id, event_type, event_count) of exactly `span`, read by
    the coarsest buckets that fit: the whole hours inside it by hour, the rest by minute. The
    SQL takes %(start)s and %(end)s, and the returned parameters."""
    hours_start, hours_end = ceil(span.start, HOUR), floor(span.end, HOUR)
    if span.counts is HOURS or hours_start >= hours_end:
        return (
            f"(SELECT node_id, event_type, event_count FROM {span.counts.table}"
            f" WHERE {span.counts.bucket} >= %(start)s AND {span.counts.bucket} < %(end)s)",
            {},
        )
    return (
        "(SELECT node_id, event_type, event_count FROM event_stats_hourly"
        " WHERE hour >= %(hours_start)s AND hour < %(hours_end)s"
        " UNION ALL SELECT node_id, event_type, event_count FROM event_stats_minute"
        " WHERE minute >= %(start)s AND minute < %(hours_start)s"
        " UNION ALL SELECT node_id, event_type, event_count FROM event_stats_minute"
        " WHERE minute >= %(hours_end)s AND minute < %(end)s)",
        {"hours_start": hours_start, "hours_end": hours_end},
    )


def step(args, span: Range) -> int:
    """`step` in seconds: a multiple of the bucket, about DEFAULT_POINTS points by default."""
    text = args.get("step")
    size = span.counts.seconds
    if text is None:
        return size * max(1, math.ceil(span.seconds / DEFAULT_POINTS / size))
    value = int(text) if re.fullmatch(r"[0-9]{1,9}", text) else 0
    if value <= 0 or value % size:
        raise ApiError(
            400,
            f"step must be a whole number of seconds, a multiple of {size} for this range "
            f"(counts are kept by the {span.counts.bucket})",
            parameter="step",
            value=text,
        )
    if span.seconds / value > MAX_POINTS:
        raise ApiError(
            400,
            f"step is too small: at most {MAX_POINTS} points per series",
            parameter="step",
            value=text,
        )
    return value


def _time(args, name):
    text = args.get(name)
    if text is None:
        return None
    try:
        if _UNIX.fullmatch(text):
            return datetime.fromtimestamp(float(text), UTC)
        when = datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        when = None
    if when is None or when.year < 2000 or when.year > 9000:
        raise ApiError(
            400,
            f"{name} must be an ISO 8601 time (2026-01-31T12:00:00Z) or Unix seconds",
            parameter=name,
            value=text,
        )
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def floor(when, seconds):
    return datetime.fromtimestamp(when.timestamp() // seconds * seconds, UTC)


def ceil(when, seconds):
    return datetime.fromtimestamp(-(-when.timestamp() // seconds) * seconds, UTC)
