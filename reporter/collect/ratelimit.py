"""Pacing of API requests: a keyed rate limiter and a bound on the requests in flight.

CloudTrail LookupEvents allows 2 requests/second per account and region, and AWS counts the
requests that *arrive*. So the limiter is consulted at the last moment before a request is sent
(botocore's `before-send`, after signing), it records when each key actually sent, and it spaces
a key's requests by 1/rate plus a safety margin: whatever delays a request between that moment
and its arrival (a thread waiting for the GIL, a busy connection), three arrivals cannot fall
into one second unless those delays differ by more than twice the margin.

ConcurrencyGate bounds the requests in flight across all clients of a run (`--workers`): threads
are cheap to keep waiting (on a paced page, a credential report being generated, a piece of
their account), requests in flight are what AWS and the network see.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

# Added to 1/rate between two requests of a key: covers the jitter between the limiter's
# decision and the request's arrival (see the module docstring) up to 2 x 0.25 s. Measured
# (bench/COLLECT.md): with the collector's CPU saturated, one request arrived 0.39 s late.
# Cost: a key's pages go at 1.33/s instead of 2/s.
SAFETY_MARGIN = 0.25


class RateLimiter:
    """At most `rate` requests per second for each key, spaced 1/rate + `margin` apart.

    `clock` and `sleep` are injectable. When `sleep` returns sooner than asked (tests and the demo
    build pass a no-op to run without waiting), the limiter's time runs ahead by what was
    skipped, so that a skipped wait still counts as waited and nothing spins.
    """

    def __init__(
        self,
        rate: float,
        *,
        margin: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or margin < 0:
            raise ValueError("rate must be positive and margin not negative")
        self.interval = 1.0 / rate + margin
        self._clock = clock
        self._sleep = sleep
        self._skipped = 0.0  # time the injected sleep claimed but did not take
        self._last: dict[Hashable, float] = {}
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._clock() + self._skipped

    def take(self, key: Hashable) -> float:
        """Take `key`'s slot now and return 0.0, or return how long until it is free (nothing taken)."""
        with self._lock:
            now = self.now()
            last = self._last.get(key)
            if last is not None and now < last + self.interval:
                return last + self.interval - now
            self._last[key] = now
            return 0.0

    def pause(self, seconds: float) -> None:
        """Sleep `seconds` (outside any lock: other keys go on)."""
        before = self._clock()
        self._sleep(seconds)
        skipped = seconds - (self._clock() - before)
        if skipped > 0:
            with self._lock:
                self._skipped += skipped

    def acquire(self, key: Hashable) -> float:
        """Wait until `key` may send, take the slot, and return the (limiter) time taken."""
        while (wait := self.take(key)) > 0:
            self.pause(wait)
        with self._lock:
            return self._last[key]


class ConcurrencyGate:
    """At most `limit` requests in flight; a thread holds at most one permit.

    `enter` is idempotent per thread and `leave` releases only a held permit, so that a permit
    lost on an unusual exception path is reclaimed by its thread's next request or call end.
    Priority waiters go first: the organization walk is sequential and on the critical path.
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be positive")
        self.limit = limit
        self.in_flight = 0
        self.peak = 0
        self._urgent_waiting = 0
        self._held = threading.local()
        lock = threading.Lock()
        self._lock = lock
        # Two queues on one lock: a release wakes one waiter (an urgent one if any), not all.
        self._urgent = threading.Condition(lock)
        self._normal = threading.Condition(lock)

    def holds(self) -> bool:
        return bool(getattr(self._held, "permit", False))

    def enter(self, *, priority: bool = False) -> None:
        if self.holds():
            return
        with self._lock:
            if priority:
                self._urgent_waiting += 1
                try:
                    while self.in_flight >= self.limit:
                        self._urgent.wait()
                finally:
                    self._urgent_waiting -= 1
            else:
                while self.in_flight >= self.limit or self._urgent_waiting:
                    self._normal.wait()
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            if self.in_flight < self.limit and not self._urgent_waiting:
                self._normal.notify()  # a permit is still free: pass the wake-up on
        self._held.permit = True

    def leave(self) -> None:
        if not self.holds():
            return
        self._held.permit = False
        with self._lock:
            self.in_flight -= 1
            (self._urgent if self._urgent_waiting else self._normal).notify()
