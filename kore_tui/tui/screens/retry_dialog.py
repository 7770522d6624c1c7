"""The retry confirmation: what R sends again, and what it costs.

A retry sends each job's own action again: an undeploy stops serving, a deploy starts
machines with the parameters it recorded. The dialog says which, with the deploy's cost
lines, as every other deploy confirmation does (it asked "Retry deploy 1 model(s)" under
the undeploy's warning, with no cost).
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from kore_tui.core.config import Environment
from kore_tui.core.deploy_params import DeployParamsError, ModelDeployParams, ToolDeployParams
from kore_tui.core.engine import Engine
from kore_tui.core.job import Job, JobState
from kore_tui.core.text import inert
from kore_tui.tui.lifecycle import DEPLOY_WARNING
from kore_tui.tui.screens.confirm import UNDEPLOY_WARNING, ConfirmUndeploy
from kore_tui.tui.screens.panel import count_states

_WARNINGS = {"UNDEPLOY": UNDEPLOY_WARNING, "DEPLOY": DEPLOY_WARNING}


def retry_dialog(
    env: Environment, retryable: list[Job], *, skipped: int, watched: int
) -> ConfirmUndeploy:
    """``retryable``: the jobs whose action is sent again; ``skipped``: selected jobs that
    are not retryable; ``watched``: watched jobs re-checked instead (never re-sent)."""
    models = [j.model_id or j.dock_status_id or "?" for j in retryable]
    actions = sorted({j.action for j in retryable})
    deploys = ", a deploy with its recorded parameters" if "DEPLOY" in actions else ""
    note = Text(
        f"Retrying {count_states(retryable)}: each sends its own action again "
        f"({', '.join(inert(a, 12) for a in actions)}){deploys}",
        style="bold",
    )
    if skipped:
        note.append(f" ({skipped} selected job(s) not FAILED, UNKNOWN or ERROR are left alone)")
    if watched:
        note.append(f" ({watched} watched job(s) are re-checked now, never re-sent)")
    tags: dict[str, str] = {}
    if len(actions) > 1:
        # Which ID gets which action: a flat list over "(DEPLOY, UNDEPLOY)" did not say
        # which one starts paid machines (an operator's run: 1 deploy among 15). Beside
        # each ID in the list, deploys first; the note named them too and every ID of a
        # short list showed twice.
        counts = ", ".join(
            f"{inert(a, 12)} ({sum(j.action == a for j in retryable)})" for a in actions
        )
        note.append(f"\n{counts}: each ID's action is beside it below")
        order = {"DEPLOY": 0}
        pairs = sorted(zip(models, retryable, strict=True), key=lambda p: order.get(p[1].action, 1))
        models = [m for m, _ in pairs]
        tags = {m: inert(j.action, 12) for m, j in pairs}
    unknown = sum(1 for j in retryable if j.state is JobState.UNKNOWN)
    if unknown:
        note.append(
            f"\n{unknown} UNKNOWN job(s) may already have succeeded: the first "
            "request may have reached the server. If it did, the retry comes "
            "back 409 Model is not deployed.",
            style="bold yellow",
        )
    warning = " ".join(_WARNINGS.get(a, "") for a in actions).strip()
    return ConfirmUndeploy(
        env,
        models,
        verb=f"Retry {actions[0].lower()}" if len(actions) == 1 else "Retry",
        note=note,
        costs=recorded_cost_lines(retryable),
        warning=warning or UNDEPLOY_WARNING,
        tags=tags,
    )


def recorded_cost_lines(jobs: Iterable[Job]) -> list[str]:
    """A retry's money lines: each DEPLOY job is sent again with the parameters it
    recorded, grouped as a deploy's confirmation groups them."""
    groups: dict[tuple[str, str, str], int] = {}
    tools = {True: 0, False: 0}
    for job in jobs:
        if job.action != "DEPLOY" or not job.params:
            continue
        try:
            if job.resource == "tool":
                tools[ToolDeployParams.from_json(job.params).is_async] += 1
                continue
            params = ModelDeployParams.from_json(job.params)
        except DeployParamsError:
            continue  # the engine refuses it on its own, saying why
        key = (params.cost_summary(), params.model_type, params.name)
        groups[key] = groups.get(key, 0) + 1
    lines = [
        f"{n} model(s): {cost} ({model_type}, name {name!r}; from the job's recorded parameters)"
        for (cost, model_type, name), n in groups.items()
    ]
    for is_async, n in tools.items():
        if n:
            lines.append(f"{n} tool(s): {'asynchronous' if is_async else 'synchronous'} deploy")
    return lines


def nothing_to_recheck(jobs: list[Job]) -> str:
    """Why r checks none of ``jobs``. An UNKNOWN or ERROR job without a dock status ID has
    nothing to check (the POST's answer never came, or it was refused): "R retries FAILED"
    sent the operator looking for another key."""
    said = f"Nothing to re-check: {count_states(jobs)} (SUCCESS and FAILED are final"
    unchecked = [
        j for j in jobs if not j.dock_status_id and j.state in (JobState.UNKNOWN, JobState.ERROR)
    ]
    if unchecked:
        return (
            f"{said}; {len(unchecked)} UNKNOWN or ERROR job(s) have no dock status ID to "
            "check: R retries them, and a 409 'not deployed' then means the first one worked)."
        )
    return f"{said}; R retries FAILED)."


def retry_told(engine: Engine, keys: list[str]) -> str:
    """What R did, with the engine's reason for each retry it refused (a live job of the
    resource, a retry made in another process meanwhile): 'Retrying 0 job(s).' alone read
    as if nothing had happened."""
    for key in keys:
        engine.notes.pop(key, None)  # an older note (a join) is not this retry's answer
    sent = engine.retry(keys)
    return told(sent, [engine.notes[k] for k in keys if k in engine.notes])


def told(sent: int, refused: list[str]) -> str:
    """'Retrying 1 job(s).', then the first refusal's reason, each a sentence (what follows,
    ' Marks cleared.', ran on from 'its row shows it')."""
    said = f"Retrying {sent} job(s)."
    if refused:
        more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
        reason = refused[0].removeprefix("not re-sent: ").rstrip(".")
        said += f" {len(refused)} not re-sent: {reason}{more}."
    return said
