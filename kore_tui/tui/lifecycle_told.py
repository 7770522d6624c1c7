"""What a send says it did: ctrl+u (undeploy), and ctrl+d, u, ctrl+r, b (deploy, undo,
bounce).

A resource with a job already live (here or in another process) or whose last job has an
UNKNOWN outcome is joined, not sent: the engine notes why for each, and marks the ones
whose own action will not follow (``not_started``). None of those is counted as queued:
"Queued 2 undeploy(s)" for models whose last undeploy was UNKNOWN, and two consoles' undo
at once both saying "Queued 1 deploy(s)" while the second had only joined the first's
deploy, read as sent while nothing was.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from kore_tui.core.job import Job, JobState
from kore_tui.tui.deploy_plan_view import kind_counts


def undeploy_told(
    jobs: list[Job], notes: Mapping[str, str], not_started: Collection[str], kept: str
) -> str:
    """ctrl+u's words. ``kept``: what follows (the dock status IDs the box keeps)."""
    said, other = _told(jobs, notes, not_started, "undeploy(s)")
    if other:
        actions = "/".join(sorted({j.action or "?" for j in other}))
        said.insert(1, f"{len(other)} not sent: a live {actions} of it was joined (its row).")
    return " ".join(said) + kept


def lifecycle_told(
    jobs: list[Job],
    notes: Mapping[str, str],
    not_started: Collection[str],
    *,
    bounce: bool,
    tail: str = "",
) -> str:
    """A deploy's, an undo's or a bounce's words; ``tail``: what follows."""
    said, other = _told(jobs, notes, not_started, "bounce(s)" if bounce else "deploy(s)")
    if other:
        said.insert(
            1,
            f"{len(other)} not started: a live job of theirs was joined (its row); "
            f"their {'redeploy' if bounce else 'deploy'} will not be sent.",
        )
    return " ".join(said) + tail


def _told(
    jobs: list[Job], notes: Mapping[str, str], not_started: Collection[str], what: str
) -> tuple[list[str], list[Job]]:
    """The headline and the UNKNOWN and live joins, as sentences; and the jobs joined whose
    own action will not follow (worded by each caller, after the headline)."""
    queued = [j for j in jobs if j.key not in notes]
    said = [
        f"Queued {len(queued)} {what}: {kind_counts([j.model_id or '' for j in queued])}."
        if queued
        else "Nothing sent."  # 'Queued 0 undeploy(s): 0 model(s).' led the joins' reasons
    ]
    joined = [j for j in jobs if j.key in notes]
    # UNKNOWN is final: "a live job of theirs was joined" was false for it.
    unknown = [j for j in joined if j.state is JobState.UNKNOWN]
    other = [j for j in joined if j.key in not_started and j.state is not JobState.UNKNOWN]
    live = len(joined) - len(unknown) - len(other)
    if unknown:
        last = (unknown[0].action or "job").lower()
        said.append(
            f"{len(unknown)} not sent: its last {last} has an UNKNOWN outcome (check it on "
            "the platform, then R on its row retries)."
        )
    if live:
        said.append(f"{live} already live: tracking {'it' if live == 1 else 'them'}.")
    return said, other
