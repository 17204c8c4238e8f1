"""The memory all connections may hold in frames that have not fully arrived.

A connection keeps the bytes of its current frame until the frame is complete: up to
TART_MAX_FRAME each, so 1,024 nodes that each send most of a large frame and then stall could pin
a gigabyte. Instead, those bytes count against one budget for the whole process,
TART_PARTIAL_FRAME_BUDGET. A read that would take the total over it first closes the connection
whose incomplete frame has waited longest for its rest — the most stalled, which may be the
reader itself — until the total fits. Frames that arrive promptly are never the oldest for
long, so a node that sends at a normal pace keeps its connection while slow-drip connections go.

So ingest holds at most the budget in incomplete frames, plus one read (16 KiB) per connection
being processed.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tart.ingest.connection import NodeConnection


class FrameBudget:
    def __init__(self, limit: int):
        self.limit = limit
        self.held = 0  # bytes held in incomplete frames, all connections
        self._holders = {}  # connection → (bytes, monotonic time its incomplete frame began)

    def hold(self, connection: NodeConnection, size: int) -> str | None:
        """`connection` now holds `size` bytes of an incomplete frame (0: none). Closes the
        longest-waiting holders while the total would exceed the limit; when that would be
        `connection` itself, returns why it must close instead."""
        before, since = self._holders.pop(connection, (0, None))
        self.held -= before
        if not size:
            return None
        now = time.monotonic()
        since = since if before else now
        while self.held + size > self.limit and self._holders:
            victim = min(self._holders, key=lambda holder: self._holders[holder][1])
            if self._holders[victim][1] > since:
                break
            self._evict(victim, now)
        if self.held + size > self.limit:
            return self._reason(size, now - since)
        self._holders[connection] = (size, since)
        self.held += size
        return None

    def _evict(self, victim, now):
        size, since = self._holders.pop(victim)
        self.held -= size
        victim.close_now(self._reason(size, now - since))

    def _reason(self, size, waited):
        return (
            f"incomplete frame of {size} bytes waited {waited:.1f} s for its rest while "
            f"incomplete frames exceeded TART_PARTIAL_FRAME_BUDGET ({self.limit} bytes)"
        )
