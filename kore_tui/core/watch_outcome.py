"""What a watch of dock status IDs did (Engine.watch_or_recheck), for the console to say."""

from __future__ import annotations

from dataclasses import dataclass, field

from kore_tui.core.job import Job


@dataclass(frozen=True)
class WatchOutcome:
    new: list[Job]  # rows started for IDs not shown before
    rechecked: list[Job]  # already shown, checked again now (as they were before it)
    final: list[Job]  # already shown and verified final: nothing to check
    # (ID, its job): an attempt a retry replaced. Its own end is in the job's timeline; a row
    # of its own read FAILED for a resource whose retry had succeeded.
    earlier: list[tuple[str, Job]] = field(default_factory=list)
