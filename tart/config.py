"""TART's configuration: environment variables (12-factor), parsed and validated once.

Every setting is one field of `Settings`, declared with the variable that sets it and the
parser that reads it, so this file is the single list of what can be configured.
"""

import dataclasses
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path


class TartError(Exception):
    """A failure the operator can act on, reported as one line without a traceback."""


class ConfigError(TartError):
    """An environment variable holds a value TART cannot use."""


def parse_bind(value: str) -> tuple[str, int]:
    """Split "host:port" (or "[v6addr]:port") into (host, port)."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected HOST:PORT, got {value!r}")
    return host.removeprefix("[").removesuffix("]"), int(port)


def install_root() -> Path:
    """The directory holding schema/, wsgi.py and gunicorn.conf.py.

    That is the source tree for a checkout or an editable install, and <prefix>/share/tart
    (where setup.cfg's data_files puts copies) for a regular install such as the Docker image.
    """
    source_tree = Path(__file__).resolve().parent.parent
    if (source_tree / "schema").is_dir() and (source_tree / "wsgi.py").is_file():
        return source_tree
    return Path(sys.prefix) / "share" / "tart"


def _bind(text: str) -> str:
    parse_bind(text)
    return text


def _number(text: str, kind=float):
    try:
        return kind(text)
    except ValueError:
        raise ValueError(
            "expected a whole number" if kind is int else "expected a number"
        ) from None


def _count(minimum: int):
    def parse(text: str) -> int:
        value = _number(text, int)
        if value < minimum:
            raise ValueError(f"must be at least {minimum}")
        return value

    return parse


def _seconds(text: str) -> float:
    value = _number(text)
    if not value > 0:
        raise ValueError("must be a positive number of seconds")
    return value


def _rate(text: str) -> float:
    value = _number(text)
    if not value >= 0:
        raise ValueError("must be a number of events per second, 0 to disable")
    return value


def _fraction(text: str) -> float:
    value = _number(text)
    if not 0 <= value <= 1:
        raise ValueError("must be a fraction from 0 to 1")
    return value


def _origins(text: str) -> tuple[str, ...]:
    origins = tuple(origin.strip() for origin in text.split(",") if origin.strip())
    if not origins:
        raise ValueError("expected * or a comma-separated list of origins")
    return origins


_LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


def _log_level(text: str) -> str:
    level = text.strip().lower()
    if level not in _LOG_LEVELS:
        raise ValueError(f"expected one of {', '.join(_LOG_LEVELS)}")
    return level


def _setting(env: str, default, parse, formerly: str | None = None, **options):
    """A setting read from `env`, or else from the name it had before, `formerly`."""
    metadata = {"env": env, "parse": parse, "formerly": formerly}
    return field(default=default, metadata=metadata, **options)


DEFAULT_DATA_DIR = Path("./.tart")


@dataclass(frozen=True)
class Settings:
    # Where PostgreSQL is; None means the embedded server under data_dir. Not in repr()
    # because the URL may carry a password.
    database_url: str | None = _setting("DATABASE_URL", None, str, repr=False)
    telemetry_bind: str = _setting("TELEMETRY_BIND", "0.0.0.0:9000", _bind)
    api_bind: str = _setting("API_BIND", "0.0.0.0:8080", _bind)
    data_dir: Path = _setting("TART_DATA_DIR", DEFAULT_DATA_DIR, Path)  # noqa: RUF009 (a field)
    handshake_timeout: float = _setting("TART_HANDSHAKE_TIMEOUT", 10.0, _seconds)
    idle_timeout: float = _setting("TART_IDLE_TIMEOUT", 120.0, _seconds)
    # From SIGTERM to ingest's exit, at most: time for the queue to be written at the writer's
    # usual pace, with room to spare. Service managers must allow more (deploy/).
    shutdown_timeout: float = _setting("TART_SHUTDOWN_TIMEOUT", 20.0, _seconds)
    max_frame: int = _setting("TART_MAX_FRAME", 1048576, _count(1))
    # Bytes all connections together may hold in frames not fully arrived.
    partial_frame_budget: int = _setting("TART_PARTIAL_FRAME_BUDGET", 67108864, _count(1))
    max_connections: int = _setting("TART_MAX_CONNECTIONS", 1024, _count(1))
    # Events per second per node; 0 disables rate limiting.
    rate_limit: float = _setting("TART_RATE_LIMIT", 100.0, _rate)
    rate_burst: int = _setting("TART_RATE_BURST", 1000, _count(1))
    queue_size: int = _setting("TART_QUEUE_SIZE", 100000, _count(1))
    batch_size: int = _setting("TART_BATCH_SIZE", 100, _count(1))
    # Raw events are dropped by the day (daily partitions); their counts by minute and hour
    # (event_stats_minute, event_stats_hourly) are kept for longer.
    raw_retention_days: int = _setting(
        "TART_RAW_RETENTION_DAYS", 30, _count(1), formerly="TART_RETENTION_DAYS"
    )
    minute_aggregate_retention_days: int = _setting(
        "TART_MINUTE_AGGREGATE_RETENTION_DAYS", 7, _count(1)
    )
    aggregate_retention_days: int = _setting("TART_AGGREGATE_RETENTION_DAYS", 365, _count(1))
    # /api/analytics/health: what it looks at and what it calls an anomaly.
    health_window: float = _setting("TART_HEALTH_WINDOW", 300.0, _seconds)
    health_failure_rate: float = _setting("TART_HEALTH_FAILURE_RATE", 0.05, _fraction)
    health_behind_slots: int = _setting("TART_HEALTH_BEHIND_SLOTS", 5, _count(1))
    health_silent_seconds: float = _setting("TART_HEALTH_SILENT_SECONDS", 60.0, _seconds)
    health_dropped_rate: float = _setting("TART_HEALTH_DROPPED_RATE", 0.001, _fraction)
    health_decode_error_rate: float = _setting("TART_HEALTH_DECODE_ERROR_RATE", 0.001, _fraction)
    partitions_ahead: int = _setting("TART_PARTITIONS_AHEAD", 3, _count(1))
    web_workers: int = _setting("TART_WEB_WORKERS", 2, _count(1))
    cors_origins: tuple[str, ...] = _setting("TART_CORS_ORIGINS", ("*",), _origins)
    ws_max_clients: int = _setting("TART_WS_MAX_CLIENTS", 1000, _count(1))
    # Live events one WebSocket client may have waiting before it is closed as too slow.
    ws_queue: int = _setting("TART_WS_QUEUE", 10000, _count(1))
    log_level: str = _setting("TART_LOG_LEVEL", "info", _log_level)
    # Nodes /metrics/nodes has series for (connected first, then the most recently seen), which
    # bounds its cardinality; 0 turns it off.
    node_metrics: int = _setting("TART_NODE_METRICS", 2048, _count(0))

    @classmethod
    def from_env(cls, environ=os.environ) -> "Settings":
        """Read every setting from `environ`; unset or empty variables take their default."""
        values = {}
        for setting in dataclasses.fields(cls):
            env = setting.metadata["env"]
            text = environ.get(env, "")
            if text == "" and setting.metadata["formerly"]:
                env = setting.metadata["formerly"]
                text = environ.get(env, "")
            if text == "":
                continue
            try:
                values[setting.name] = setting.metadata["parse"](text)
            except ValueError as error:
                raise ConfigError(f"{env}={text!r} is invalid: {error}") from None
        settings = cls(**values)
        if settings.partial_frame_budget < settings.max_frame:
            raise ConfigError(
                f"TART_PARTIAL_FRAME_BUDGET ({settings.partial_frame_budget}) must be at least "
                f"TART_MAX_FRAME ({settings.max_frame}), or a frame of the largest size could "
                f"never arrive"
            )
        return settings
