"""What a node connection puts on the writer's queue: an event, or a frame that did not decode."""

from typing import NamedTuple


class Event(NamedTuple):
    session: object  # the connection's tart.ingest.connection.Session
    event_id: int  # JIP-3 event ID
    discriminator: int
    timestamp: int  # JIP-3 Timestamp: µs since the JAM Common Era, as sent
    data: dict  # the decoded event, {"Name": {fields}}
    received: float  # Unix seconds when its last bytes arrived
    frame: bytes  # the message as received, kept in case PostgreSQL refuses the row


class Undecodable(NamedTuple):
    session: object
    event_id: int | None  # the JIP-3 event ID it took; None for node information
    error: object  # tart.protocol.DecodeError, or what stands for one
    received: float
    frame: bytes
