"""The engine's knobs.

The ones a user sets come from :class:`config.Settings`, where each default and
its bounds live beside the field: the defaults here are read from there, never
restated. The engine-only knobs below them have their defaults here, once.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from kore_tui.core.config import Settings
from kore_tui.core.schedule import PollSchedule

_USER_DEFAULTS = Settings()


def _schedule(s: Settings) -> PollSchedule:
    return PollSchedule(initial=s.poll_initial, growth=s.poll_growth, cap=s.poll_max)


@dataclass(frozen=True)
class EngineSettings:
    # From config.Settings (see from_settings).
    concurrency: int = _USER_DEFAULTS.concurrency
    requests_per_second: float = _USER_DEFAULTS.requests_per_second
    schedule: PollSchedule = field(default_factory=lambda: _schedule(_USER_DEFAULTS))
    job_timeout: float = _USER_DEFAULTS.job_timeout
    not_found_grace: float = _USER_DEFAULTS.not_found_grace
    # Engine-only.
    max_connect_retries: int = 5  # re-sends of a POST that could not connect, then ERROR
    max_rate_limited: int = 100  # 429s answered to one job's POST, then ERROR
    stale_after: int = 3  # failed checks in a row before a job is shown stale
    default_rate_pause: float = 2.0  # host pause after a 429 without Retry-After (doubles)

    @classmethod
    def from_settings(cls, s: Settings, **overrides: Any) -> EngineSettings:
        base = cls(
            concurrency=s.concurrency,
            requests_per_second=s.requests_per_second,
            schedule=_schedule(s),
            job_timeout=s.job_timeout,
            not_found_grace=s.not_found_grace,
        )
        return replace(base, **overrides)
