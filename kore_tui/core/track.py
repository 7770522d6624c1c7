"""The engine's private bookkeeping for one job it sends or checks."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Tries:
    """What a job has been through; outcomes.py reads these and returns them updated."""

    rate_limited: int = 0  # 429s answered to its POST
    connect_failures: int = 0  # POSTs that could not connect
    check_failures: int = 0  # dock-status checks failed in a row


@dataclass
class Track:
    # A job's generation is bumped whenever its schedule is invalidated (retry, re-check,
    # stop): the scheduler's heap entries carry the generation they were made under, and
    # a stale one is skipped when popped, so no entry ever has to be found and removed.
    gen: int = 0
    started: float = 0.0  # on the engine's clock: when the platform accepted the job
    deadline: float = math.inf  # on the engine's clock
    tries: Tries = field(default_factory=Tries)
