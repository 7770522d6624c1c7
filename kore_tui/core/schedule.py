"""When to poll next, and how long to wait after failures.

The wait grows with the job's age: ``max(initial, min(cap, growth * age))``.
A geometric x1.5 backoff (the obvious design) makes the detection lag about
a quarter of the job's duration; keeping each wait at a fifth of the age
bounds the expected lag near a tenth of the duration with about 20 requests
for a five-minute job. ``benchmarks/polling_economy.py`` compares both.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class PollSchedule:
    initial: float = 2.0
    growth: float = 0.2
    cap: float = 30.0
    jitter: float = 0.1

    def base_delay(self, age: float) -> float:
        return float(max(self.initial, min(self.cap, self.growth * age)))

    def next_delay(self, age: float, rng: random.Random) -> float:
        base = self.base_delay(age)
        if self.jitter:
            base *= 1 + rng.uniform(-self.jitter, self.jitter)
        return max(base, 0.001)

    def failure_delay(self, failures: int, rng: random.Random) -> float:
        base = min(self.cap, self.initial * float(2 ** min(failures, 16)))
        return base * (1 + rng.uniform(0, self.jitter or 0.1))


class RateLimiter:
    """Requests-per-second cap for one host: evenly spaced slots, no bursts."""

    def __init__(self, per_second: float) -> None:
        self._interval = 1.0 / per_second if per_second > 0 else 0.0
        self._next = 0.0

    def reserve(self, now: float) -> float:
        """Book the next slot; return how long to wait for it."""
        if self._interval == 0.0:
            return 0.0
        slot = max(now, self._next)
        self._next = slot + self._interval
        return slot - now
