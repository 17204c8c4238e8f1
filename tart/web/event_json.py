"""The one JSON rendering of a stored event, for the REST API and for live clients.

Both carry the same core: `id`, `node_id`, `event_id`, `event_type`, `timestamp` (the node's
clock when it sent a time TART can represent, else when TART received it) and `received_at`.
The REST API adds `event_name`, `data`, `node_name` and `node_version` (the seed README's
/api/events); live messages add `latency_ms` and carry the data as `event` (the seed's `event`
message).

Times are ISO 8601 in UTC with a `Z` and always six fractional digits: JIP-3 timestamps are
microseconds, and a fixed width keeps the strings sortable. PostgreSQL writes them (see utc()),
and `data` is the stored JSON text, so a row becomes JSON without parsing anything.
"""

from datetime import UTC, datetime

import orjson

from tart.protocol import EVENTS

EVENT_NAMES = {discriminator: event.event_name for discriminator, event in EVENTS.items()}
_NAMES_JSON = {number: orjson.dumps(name).decode() for number, name in EVENT_NAMES.items()}


def iso(when: datetime) -> str:
    """`when` as the API writes times."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc(column: str) -> str:
    """SQL for the timestamptz `column` written as iso() writes it; NULL stays NULL."""
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""


def columns(rows: str) -> str:
    """The columns of `rows` (events or a subquery of its rows) that a rendering reads, in its
    order; the last is when TART received the event, in Unix seconds (for latency_ms)."""
    return (
        f"{rows}.id, {rows}.node_id, {rows}.event_id::text, {rows}.event_type, "
        f"{utc(f'coalesce({rows}.timestamp, {rows}.created_at)')}, "
        f"{utc(f'{rows}.created_at')}, {rows}.data::text, "
        f"extract(epoch FROM {rows}.created_at)::float8"
    )


def _core(row) -> str:
    event_id, node_id, jip3_id, event_type, timestamp, received_at = row[:6]
    return (
        f'"id":{event_id},"node_id":"{node_id}","event_id":{jip3_id},'
        f'"event_type":{event_type},"timestamp":"{timestamp}","received_at":"{received_at}"'
    )


def rest(row, node_name: str | None, node_version: str | None) -> orjson.Fragment:
    """An event of /api/events, from a row of columns() and its node's name and version."""
    return orjson.Fragment(
        f'{{{_core(row)},"event_name":{_NAMES_JSON.get(row[3], "null")},"data":{row[6]},'
        f'"node_name":{_text(node_name)},"node_version":{_text(node_version)}}}'
    )


def live(row, sent_at: float) -> bytes:
    """An event as live clients see it (an `event` message's `data`), sent at Unix time
    `sent_at`: `latency_ms` is from TART receiving it to then."""
    latency = round((sent_at - row[7]) * 1000, 1)
    return f'{{{_core(row)},"latency_ms":{latency},"event":{row[6]}}}'.encode()


def _text(value: str | None) -> str:
    return orjson.dumps(value).decode()
