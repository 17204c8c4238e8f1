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

from tart.web import event_json

# The columns LiveEvent reads, in their order (tart.web.event_json).
EVENT_COLUMNS = event_json.columns("events")

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
    return event_json.iso(datetime.now(UTC))


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
        self.id, self.node_id, self.event_type = row[0], row[1], row[3]
        self.data = event_json.live(row, sent_at)
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
