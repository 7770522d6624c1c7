"""Wall-clock stamps of the journal (ISO 8601 UTC) as shown and as ages."""

from __future__ import annotations

import time
from datetime import datetime


def clock_time(stamp: str) -> str:
    """``2026-11-29T16:05:03.120Z`` -> ``2026-11-29 16:05:03 UTC`` for messages."""
    return stamp[:19].replace("T", " ") + " UTC" if len(stamp) >= 19 else stamp


def age_from_wall(stamp: str | None) -> float:
    if not stamp:
        return 0.0
    try:
        then = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0
    return max(0.0, time.time() - then)
