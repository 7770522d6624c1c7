"""What a deploy, an undo or a bounce says it did (ctrl+d, u, ctrl+r, b).

A resource with a job already live (here or in another process) or whose last job has an
UNKNOWN outcome is joined, not sent: the engine notes why for each, and marks the ones
whose own action will not follow (``not_started``). None of those is counted as queued:
two consoles' undo at once both said 'Queued 1 deploy(s)' while the second had only joined
the first's deploy.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from kore_tui.core.job import Job, JobState
from kore_tui.tui.deploy_plan_view import kind_counts


def lifecycle_told(
    jobs: list[Job],
    notes: Mapping[str, str],
    not_started: Collection[str],
    *,
    bounce: bool,
    tail: str = "",
) -> str:
    what = "bounce(s)" if bounce else "deploy(s)"
    queued = [j for j in jobs if j.key not in notes]
    said = (
        f"Queued {len(queued)} {what}: {kind_counts([j.model_id or '' for j in queued])}."
        if queued
        else "Nothing sent."
    )
    joined = [j for j in jobs if j.key in notes]
    # UNKNOWN is final: "a live job of theirs was joined" was false for it.
    unknown = [j for j in joined if j.state is JobState.UNKNOWN]
    other = [j for j in joined if j.key in not_started and j.state is not JobState.UNKNOWN]
    live = len(joined) - len(unknown) - len(other)
    if other:
        said += (
            f" {len(other)} not started: a live job of theirs was joined (its row); "
            f"their {'redeploy' if bounce else 'deploy'} will not be sent."
        )
    if unknown:
        last = (unknown[0].action or "job").lower()
        said += (
            f" {len(unknown)} not sent: its last {last} has an UNKNOWN outcome (check it on "
            "the platform, then R on its row retries)."
        )
    if live:
        said += f" {live} already live: tracking {'it' if live == 1 else 'them'}."
    return said + tail
