"""Is the platform's answer about the job we asked about?

A POST's answer and every dock status echo the resource and the action. A proxy that
mixes up answers, a server bug, or a dock status ID that belongs to another job would
otherwise be read as our job's outcome: a break-it run had a POST answer naming another
model and a dock status saying DEPLOY for our UNDEPLOY, and the job ended SUCCESS UNDEPLOY
(exit 0). Such an answer makes the job UNKNOWN, with what was said, never SUCCESS.

Tolerant where the contract is loose (api-contract.md: the dock status's resource field
"may be absent or named differently"): an absent field, or one that is not a cm-/a- ID or
a known action, says nothing either way.
"""

from __future__ import annotations

from kore_tui.core.ids import DOCK_STATUS_PREFIX
from kore_tui.core.job import Job, JobState
from kore_tui.core.outcomes import Outcome
from kore_tui.core.resources import MODEL_PREFIX, TOOL_PREFIX
from kore_tui.core.text import inert
from kore_tui.core.track import Tries

_ACTIONS = frozenset({"DEPLOY", "UNDEPLOY", "IMPORT", "EXPORT"})


def mismatch(
    job: Job, resource_id: str | None, action: str | None, dock_status_id: str | None = None
) -> str | None:
    """Why the answer is about another job; None when it is ours or does not say.
    ``dock_status_id``: the ID a dock status answer says it is about (its ``_id``)."""
    said_id = (dock_status_id or "").strip().lower()
    ours_id = (job.dock_status_id or "").strip().lower()
    if said_id.startswith(DOCK_STATUS_PREFIX) and ours_id and said_id != ours_id:
        return f"the platform's answer is about dock status {inert(said_id, 60)}, not {ours_id}"
    if job.origin != "sent":  # a watched ds- ID: the answer is the only word on it
        return None
    said = (resource_id or "").strip().lower()
    ours = (job.model_id or "").strip().lower()
    if said.startswith((MODEL_PREFIX, TOOL_PREFIX)) and ours and said != ours:
        return f"the platform's answer is about {inert(said, 60)}, not {ours}"
    verb = (action or "").strip().upper()
    if verb in _ACTIONS and verb != job.action:
        return f"the platform's answer is about a {verb} job, not this {job.action}"
    return None


def about_another_job(reason: str, tries: Tries) -> Outcome:
    error = f"{reason} (outcome unknown: check the resource before retrying)"
    return Outcome(
        JobState.UNKNOWN,
        error,
        "mismatch",
        200,
        tries,
        stale=False,
        polled=True,
        checked=True,
        detail=error,
    )
