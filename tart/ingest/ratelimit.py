"""Per-node token buckets: a node may send ``rate`` events a second, with bursts of ``burst``."""

import time


class TokenBucket:
    __slots__ = ("burst", "rate", "tokens", "updated")

    def __init__(self, rate: float, burst: int):
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.updated = time.monotonic()

    def take(self) -> bool:
        """True if one event may pass now."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class Unlimited:
    """Rate limiting switched off (TART_RATE_LIMIT=0)."""

    __slots__ = ()

    def take(self) -> bool:
        return True


class RateLimiter:
    """One bucket per node, shared by all of that node's connections to this process."""

    def __init__(self, rate: float, burst: int):
        self.rate = rate
        self.burst = burst
        self._buckets = {}

    def bucket(self, node_id: str) -> "TokenBucket | Unlimited":
        if not self.rate:
            return Unlimited()
        if node_id not in self._buckets:
            self._buckets[node_id] = TokenBucket(self.rate, self.burst)
        return self._buckets[node_id]
