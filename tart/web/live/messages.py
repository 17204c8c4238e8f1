"""What the server sends: the seed's JSON messages, already framed as WebSocket text frames.

Server frames are not masked, so one frame's bytes are the same for every client: an event is
serialised and framed once per worker and the same bytes are queued to every subscriber that
wants it. Messages are never compressed (permessage-deflate lets each message choose), which
keeps that sharing valid whatever a client negotiated.
"""

import struct
import time
from datetime import UTC, datetime

import orjson

# The columns LiveEvent reads, in its order: times are formatted by PostgreSQL and `data` is
# the stored JSON text, so a row becomes a message without parsing anything.
EVENT_COLUMNS = (
    "id, node_id, event_id::text, event_type,"
    " extract(epoch FROM created_at)::float8,"
    " to_char(coalesce(timestamp, created_at) AT TIME ZONE 'UTC',"
    ' \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\'),'
    " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
    " data::text"
)

_TEXT = 0x81  # FIN + opcode 1 (text)


def frame(payload: bytes) -> bytes:
    """`payload` as one unmasked WebSocket text frame (RFC 6455 section 5.2)."""
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", _TEXT, size)
    elif size < 65536:
        header = struct.pack("!BBH", _TEXT, 126, size)
    else:
        header = struct.pack("!BBQ", _TEXT, 127, size)
    return header + payload


def now_iso() -> str:
    """The current time as the API writes times: ISO 8601, UTC, microseconds, `Z`."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def message(kind: str, data) -> bytes:
    """A framed `{"type": kind, "data": data, "timestamp": now}` message."""
    return frame(orjson.dumps({"type": kind, "data": data, "timestamp": now_iso()}))


def error(text: str) -> bytes:
    """The reply to a client message the server cannot act on; the connection stays open."""
    return message("error", {"message": text})


class LiveEvent:
    """One stored event on its way to clients; each frame is built on first use, then shared.

    `data` is the object clients see: an `event` message's `data`, or a whole message of
    /api/events/stream. `latency_ms` is from TART receiving the event to this worker sending it,
    at `sent`.
    """

    __slots__ = ("_message", "_plain", "data", "event_type", "id", "node_id", "sent")

    def __init__(self, row, sent_at: float, sent: str):
        (
            self.id,
            self.node_id,
            event_id,
            self.event_type,
            received,
            timestamp,
            received_at,
            data,
        ) = row
        latency = round((sent_at - received) * 1000, 1)
        self.data = (
            f'{{"id":{self.id},"node_id":"{self.node_id}","event_id":{event_id},'
            f'"event_type":{self.event_type},"latency_ms":{latency},"event":{data},'
            f'"timestamp":"{timestamp}","received_at":"{received_at}"}}'
        ).encode()
        self.sent = sent
        self._message = self._plain = None

    @property
    def message(self) -> bytes:
        """The framed `event` message of /api/ws."""
        if self._message is None:
            self._message = frame(
                b'{"type":"event","data":%s,"timestamp":"%s"}' % (self.data, self.sent.encode())
            )
        return self._message

    @property
    def plain(self) -> bytes:
        """The framed bare event object of /api/events/stream."""
        if self._plain is None:
            self._plain = frame(self.data)
        return self._plain

    def as_json(self):
        """`data` for embedding in a larger message (GetRecentEvents)."""
        return orjson.Fragment(self.data)


def batch(events: list) -> bytes:
    """The framed `events` message of /api/ws for clients that take events in batches: the
    `data` of each event message, in one array."""
    return frame(
        b'{"type":"events","data":[%s],"timestamp":"%s"}'
        % (b",".join(event.data for event in events), events[-1].sent.encode())
    )


def live_events(rows) -> list[LiveEvent]:
    """Rows of EVENT_COLUMNS as LiveEvents sent now."""
    sent_at, sent = time.time(), now_iso()
    return [LiveEvent(row, sent_at, sent) for row in rows]
