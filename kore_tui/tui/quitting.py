"""What quitting would leave behind, as the question to ask (or None: nothing to ask).

Unfinished jobs of a configured environment stay in its journal and resume when it is
opened again (``kore-tui status --env NAME --wait`` too). The demo's journal lives in a
temporary folder, deleted on exit: its jobs and history end with the console, so a
stray ``q`` there asks first even when every job is final, and never promises a resume.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kore_tui.core.text import inert


def quit_question(
    unfinished: Mapping[str, int],
    temporary: Mapping[str, int],
    current: str | None,
    pending_bounces: Sequence[tuple[str, str]] = (),
    stopped: Mapping[str, int] | None = None,
) -> str | None:
    """``unfinished``: jobs not final, by environment; ``temporary``: jobs of environments
    whose journal ends with the console (the demo), by environment; ``pending_bounces``:
    (environment, resource ID) of the bounces whose redeploy is not sent yet (only this
    console sends it); ``stopped``: jobs not final whose tracking was stopped (x), by
    environment: they alone ask nothing (stopping was the operator's word), but a question
    asked anyway counts them."""
    lasting = {name: n for name, n in unfinished.items() if name not in temporary}
    parts = []
    if pending_bounces:
        # Named: "1 bounce(s)" did not say which model would be left down, or where.
        named = ", ".join(
            f"{inert(resource, 60)} in {inert(env, 40)}" for env, resource in pending_bounces[:3]
        )
        more = f" and {len(pending_bounces) - 3} more" if len(pending_bounces) > 3 else ""
        parts.append(
            f"{len(pending_bounces)} bounce(s) have not sent their redeploy yet ({named}{more}):"
            " only this console sends it, so they are left undeployed (reported the next "
            "time, never sent on their own; kore-tui deploy sends it with the parameters "
            "you gave)."
        )
    if lasting:
        total = sum(lasting.values())
        if list(lasting) == [current]:
            parts.append(
                f"{total} job(s) are not final yet in {inert(current or '', 40)}. They stay "
                "in the journal and resume the next time you open it."
            )
        else:
            where = ", ".join(f"{n} in {inert(name, 40)}" for name, n in lasting.items())
            parts.append(
                f"{total} job(s) are not final yet ({where}). They stay in the journal "
                "and resume the next time you open the environment."
            )
    for name, jobs in temporary.items():
        open_ = unfinished.get(name, 0)
        state = f" ({open_} not final yet)" if open_ else ""
        # "The demo's 30 job(s) end with the console" read, for finished jobs, as if
        # quitting would do something to them: what ends is the record of them.
        parts.append(
            f"The {inert(name, 40)} environment's journal is temporary: its {jobs} job(s)"
            f"{state} and their history are deleted when the console quits, and nothing "
            "resumes."
        )
    held = sum((stopped or {}).values())
    if parts and held:
        parts.append(
            f"{held} more whose tracking you stopped (x) is not resumed: its status command "
            "is printed on exit."
        )
    return " ".join(parts) + " Quit anyway?" if parts else None
