"""A keyed rate limiter: at most `rate` requests per second for each key.

CloudTrail LookupEvents allows 2 requests/second per account and region; exceeding it only earns
throttling errors and retries. Each key keeps the earliest time its next request may start
(virtual scheduling, the GCRA form of a token bucket of depth one): a request reserves its slot
under the lock and sleeps outside it, so threads on other keys never wait for each other.
Requests are spaced 1/rate apart, so any half-open one-second window holds at most `rate`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable


class RateLimiter:
    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next: dict[Hashable, float] = {}
        self._lock = threading.Lock()

    def acquire(self, key: Hashable) -> float:
        """Wait for this key's next slot; return the (clock) time the request may start."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next.get(key, now))
            self._next[key] = start + self.interval
        if start > now:
            self._sleep(start - now)
        return start
