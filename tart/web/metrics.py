"""Prometheus metrics at /metrics: the seed's telemetry_* names, and HTTP request metrics.

Ingest and web share nothing but PostgreSQL, so the ingest side of the metrics is read at scrape
time from the `ingest_stats` rows the ingest processes upsert every second. The web side (HTTP
requests, WebSocket broadcaster, connection pools) is kept by prometheus_client in each gunicorn
worker; gunicorn.conf.py sets PROMETHEUS_MULTIPROC_DIR, so every worker writes its values to
files there and whichever worker answers a scrape adds them all up.

The seed names monotonic counts without Prometheus' `_total` suffix (telemetry_events_received,
...). prometheus_client would append `_total` to a counter's samples, so those are exposed with
TYPE gauge to keep the seed's exact names; rate() and increase() work on them as on counters.
`telemetry_connections_total` already ends in `_total` and is a true counter.
"""

import glob
import logging
import os

from flask import Response, current_app, request
from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.utils import floatToGoString
from prometheus_flask_exporter import PrometheusMetrics

from tart.ingest.stats import DROP_REASONS
from tart.protocol import EVENTS

log = logging.getLogger(__name__)

# prometheus_client chose file-backed values at import if this was set; decide the same way.
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

# The live stream (tart/web/live/) feeds these two: inc()/dec() as WebSocket subscribers come
# and go, inc(n) as it sends events to them. Summed over live workers / all workers.
broadcaster_subscribers = Gauge(
    "telemetry_broadcaster_subscribers",
    "Active WebSocket subscribers",
    multiprocess_mode="livesum",
    registry=None,
)
broadcaster_total_broadcast = Gauge(
    "telemetry_broadcaster_total_broadcast",
    "Events sent to WebSocket subscribers (monotonic; gauge-typed to keep the seed's name)",
    multiprocess_mode="sum",
    registry=None,
)
# Fed by tart.web.db; telemetry_database_pool_connections adds it to the ingest processes'.
WEB_POOL_NAME = "telemetry_web_database_pool_connections"
web_pool_connections = Gauge(
    WEB_POOL_NAME,
    "Open PostgreSQL connections of the web workers' pools",
    multiprocess_mode="livesum",
    registry=None,
)
WEB_METRICS = (broadcaster_subscribers, broadcaster_total_broadcast, web_pool_connections)

# Ingest processes that have not updated their ingest_stats row for this long are gone: their
# gauges no longer count (their counters do, so that sums never go backwards).
LIVE_SECONDS = 15

# (counters key, metric name, help) of the monotonic ingest counts, exposed gauge-typed.
INGEST_COUNTS = (
    (
        "connections_rejected",
        "telemetry_connections_rejected",
        "Node connections refused because TART_MAX_CONNECTIONS were open",
    ),
    ("events_received", "telemetry_events_received", "Event frames received from nodes"),
    ("events_stored", "telemetry_events_stored", "Events written to the database"),
    (
        "events_dropped",
        "telemetry_events_dropped",
        "Events not stored for a reason other than rate limiting (e.g. a full write queue)",
    ),
    (
        "events_rate_limited",
        "telemetry_events_rate_limited",
        "Events not stored because their node exceeded TART_RATE_LIMIT",
    ),
    (
        "events_undecodable",
        "telemetry_decode_errors",
        "Frames that did not decode as JIP-3, failed handshakes included (see /api/errors)",
    ),
    (
        "writer_errors",
        "telemetry_writer_errors",
        "Database errors the ingest writer waited out (outages, restarts, read-only)",
    ),
)
INGEST_GAUGES = (
    ("active_connections", "telemetry_active_connections", "Open node connections"),
    ("buffer_pending", "telemetry_buffer_pending", "Events queued for the database writer"),
)


def route_template(request):
    """Label HTTP metrics by route (/api/nodes/<node_id>), not by path: one series per route."""
    return request.url_rule.rule if request.url_rule else "unmatched"


route_template.__name__ = "path"  # the exporter names the label after the function


def init_app(app) -> None:
    """Track HTTP requests and serve GET /metrics."""
    registry = CollectorRegistry(auto_describe=False)
    for metric in WEB_METRICS:
        registry.register(metric)
    exporter = PrometheusMetrics(app, path=None, registry=registry, group_by=route_template)
    app.extensions["tart_metrics"] = registry

    @app.get("/metrics")
    @exporter.do_not_track()
    def metrics():
        families = web_families()
        ingest = IngestCollector(
            current_app.extensions["tart_db"], web_pool=sample(families, WEB_POOL_NAME)
        )
        return exposition(families + ingest.collect())


def exposition(families) -> Response:
    """A response of already collected `families` in the format the scraper asked for."""
    encode, content_type = choose_encoder(request.headers.get("Accept"))
    return Response(encode(_Families(families)), content_type=content_type)


def register(app, *metrics) -> None:
    """Expose more web-side metrics at /metrics, e.g. the live stream's. (With several gunicorn
    workers, every metric reaches /metrics through PROMETHEUS_MULTIPROC_DIR anyway; this is for
    a single process without it, such as tests.)"""
    for metric in metrics:
        app.extensions["tart_metrics"].register(metric)


def web_families() -> list:
    """The web side's metric families, added up over all gunicorn workers."""
    if MULTIPROCESS:
        return list(MultiProcessCollector.merge(worker_files("*.db")))
    return list(current_app.extensions["tart_metrics"].collect())


def live_sum(name: str) -> float:
    """A livesum gauge's value over all workers, reading only the files of such gauges."""
    if not MULTIPROCESS:
        return sample(web_families(), name)
    return sample(MultiProcessCollector.merge(worker_files("gauge_livesum_*.db")), name)


# A worker's file starts with the 4-byte length of its used part.
_FILE_HEADER = 4


def worker_files(pattern: str) -> list[str]:
    """The workers' metric files matching `pattern` that can be read.

    A worker creates its file (at its first value of a kind: its first request, its first
    WebSocket client) empty, and only then sizes it and writes its header. prometheus_client
    reads every file it finds and fails on one caught in between (struct.error), which failed
    the whole scrape. Such a file holds no value yet, so it is left out. Files only ever grow,
    so one found with its header stays readable; a live gauge's file may vanish as its worker
    is marked dead, which prometheus_client's merge allows for.
    """
    readable = []
    for path in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], pattern)):
        try:
            if os.path.getsize(path) >= _FILE_HEADER:
                readable.append(path)
        except FileNotFoundError:
            pass
    return readable


def sample(families, name: str) -> float:
    """The value of the unlabelled sample `name` among `families` (0 when absent)."""
    for family in families:
        for item in family.samples:
            if item.name == name and not item.labels:
                return item.value
    return 0.0


class IngestCollector:
    """The ingest processes' counters, read from ingest_stats when collected."""

    def __init__(self, pool, web_pool: float):
        self.pool = pool
        self.web_pool = web_pool

    def collect(self) -> list:
        try:
            rows = self.pool.prepared(
                "SELECT counters, updated_at > now() - make_interval(secs => $1) FROM ingest_stats",
                (LIVE_SECONDS,),
            )
        except Exception as error:  # /metrics still serves the web side without the database
            log.warning("ingest metrics unavailable: %s", error)
            return [_database_up(0)]
        live = [counters for counters, is_live in rows if is_live]
        families = [
            _database_up(1),
            GaugeMetricFamily(
                "telemetry_ingest_processes",
                "Ingest processes that reported in the last 15 s",
                value=len(live),
            ),
        ]
        for key, name, text in INGEST_GAUGES:
            families.append(GaugeMetricFamily(name, text, value=_total(live, key)))
        families.append(
            GaugeMetricFamily(
                "telemetry_database_pool_connections",
                "Open PostgreSQL connections of the ingest processes and web workers",
                value=_total(live, "database_pool_connections") + self.web_pool,
            )
        )
        everyone = [counters for counters, _ in rows]
        families.append(
            CounterMetricFamily(
                "telemetry_connections_total",
                "Node connections accepted",
                value=_total(everyone, "connections_total"),
            )
        )
        for key, name, text in INGEST_COUNTS:
            families.append(
                GaugeMetricFamily(name, f"{text} (monotonic)", value=_total(everyone, key))
            )
        dropped = GaugeMetricFamily(
            "telemetry_events_dropped_by_reason",
            "telemetry_events_dropped by reason (monotonic)",
            labels=["reason"],
        )
        for reason, count in _by_reason(everyone).items():
            dropped.add_metric([reason], count)
        families.append(dropped)
        families.append(_by_type(everyone))
        families.append(_batch_write_duration(everyone))
        written = [c["last_write_at"] for c in live if c.get("last_write_at") is not None]
        families.append(
            GaugeMetricFamily(
                "telemetry_writer_last_write_timestamp_seconds",
                "Unix time of the newest batch a live ingest process committed (NaN before any)",
                value=max(written) if written else float("nan"),
            )
        )
        return families


def _database_up(value: int) -> GaugeMetricFamily:
    # Without the database the ingest side's figures are unknown, and absent from /metrics;
    # the alert rules tell that apart from a quiet ingest by this.
    return GaugeMetricFamily(
        "telemetry_database_up",
        "1 if this scrape read the ingest processes' figures from PostgreSQL, 0 if it could not",
        value=value,
    )


def _total(counters_rows, key) -> float:
    return float(sum(counters.get(key) or 0 for counters in counters_rows))


def _by_reason(counters_rows) -> dict:
    # Every known reason from the start, so that a rate over it is 0 rather than absent.
    reasons = dict.fromkeys(DROP_REASONS, 0)
    for counters in counters_rows:
        for reason, count in (counters.get("events_dropped_by_reason") or {}).items():
            reasons[reason] = reasons.get(reason, 0) + count
    return reasons


def _by_type(counters_rows) -> CounterMetricFamily:
    # Every event type from the start, at 0, so that its first events are an increase.
    by_type = CounterMetricFamily(
        "telemetry_events_by_type",
        "Events written to the database, by type (its name and the spec's section)",
        labels=["event", "category"],
    )
    for discriminator, event in sorted(EVENTS.items()):
        key = str(discriminator)
        count = sum((c.get("events_stored_by_type") or {}).get(key, 0) for c in counters_rows)
        by_type.add_metric([event.event_name, event.category.key], count)
    return by_type


def _batch_write_duration(counters_rows) -> HistogramMetricFamily:
    buckets, total = {}, 0.0
    for counters in counters_rows:
        histogram = counters.get("batch_write_duration") or {}
        for bound, count in (histogram.get("buckets") or {}).items():
            buckets[float(bound)] = buckets.get(float(bound), 0) + count
        total += histogram.get("sum") or 0
    buckets.setdefault(float("inf"), 0)
    # Bounds spelled as prometheus_client spells them ("1.0", "+Inf"): one series per bound.
    ordered = [(floatToGoString(bound), count) for bound, count in sorted(buckets.items())]
    return HistogramMetricFamily(
        "telemetry_batch_write_duration",
        "Time to write one batch of events, in seconds",
        buckets=ordered,
        sum_value=total,
    )


class _Families:
    """Already collected families, in the shape prometheus_client's encoders read."""

    def __init__(self, families):
        self.families = families

    def collect(self):
        return self.families
