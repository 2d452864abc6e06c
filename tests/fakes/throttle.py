"""Rate limits the way the platforms apply them, for the fakes: a token bucket per key, or "the first N calls".

`check(key)` answers None (go ahead) or the seconds to put in Retry-After. Slack
limits chat.postMessage per workspace (and ~1/s per channel); Teams per bot per
conversation and per tenant. The fakes pick the key.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field


@dataclass
class Bucket:
    rate: float
    burst: float
    tokens: float
    at: float

    def take(self, now: float) -> float:
        """0 if a token was taken, else seconds until one is free."""
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class Throttle:
    rate: float | None = None  # calls per second per key; None: no bucket
    burst: float = 10
    first: int = 0  # the first this-many calls for each key are refused (deterministic throttling)
    retry_after: int = 1  # what "first" refusals say
    refused: int = 0
    _buckets: dict[str, Bucket] = field(default_factory=dict)
    _seen: dict[str, int] = field(default_factory=dict)

    def check(self, key: str) -> int | None:
        seen = self._seen.get(key, 0)
        self._seen[key] = seen + 1
        if seen < self.first:
            self.refused += 1
            return self.retry_after
        if self.rate:
            now = time.monotonic()
            bucket = self._buckets.setdefault(key, Bucket(self.rate, self.burst, self.burst, now))
            wait = bucket.take(now)
            if wait > 0:
                self.refused += 1
                return max(1, math.ceil(wait))
        return None
