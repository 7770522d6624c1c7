"""What ctrl+u says it did: a joined resource is named as not sent, with why."""

from __future__ import annotations

from kore_tui.core.job import Job, JobState
from kore_tui.tui.lifecycle_told import undeploy_told


def job(key: str, action: str, state: JobState, n: int) -> Job:
    return Job(
        key=key,
        environment="prod",
        host="https://example.invalid",
        origin="sent",
        model_id=f"cm-00000000-0000-4000-8000-{n:012d}",
        dock_status_id=None,
        state=state,
        action=action,
        created_at="2026-12-07T06:00:00.000Z",
    )


def test_each_joined_resource_is_said_not_sent_and_why() -> None:
    """A break-it run: ctrl+u on models whose last undeploy was UNKNOWN said "Queued 2
    undeploy(s)" while nothing was sent (the CLI said "not sent")."""
    jobs = [
        job("new", "UNDEPLOY", JobState.QUEUED, 1),
        job("deploying", "DEPLOY", JobState.IN_PROGRESS, 2),
        job("unknown", "UNDEPLOY", JobState.UNKNOWN, 3),
        job("live", "UNDEPLOY", JobState.IN_PROGRESS, 4),
    ]
    notes = {"deploying": "…; undeploy not sent", "unknown": "not sent: …", "live": "already"}
    said = undeploy_told(jobs, notes, {"deploying"}, " The ID box keeps 1 dock status ID(s).")
    assert said.startswith("Queued 1 undeploy(s): 1 model(s).")
    assert "1 not sent: a live DEPLOY of it was joined (its row)." in said
    assert "1 not sent: its last undeploy has an UNKNOWN outcome" in said
    assert "1 already live: tracking it." in said
    assert said.endswith(" The ID box keeps 1 dock status ID(s).")


def test_a_plain_undeploy_says_only_what_it_queued() -> None:
    jobs = [job("a", "UNDEPLOY", JobState.QUEUED, 1), job("b", "UNDEPLOY", JobState.QUEUED, 2)]
    assert undeploy_told(jobs, {}, set(), "") == "Queued 2 undeploy(s): 2 model(s)."


def test_nothing_queued_leads_with_nothing_sent_and_counts_agree() -> None:
    """A break-it run: 'Queued 0 undeploy(s): 0 model(s). 3 already live: tracking it.'
    (a zero headline, and "it" for three jobs)."""
    jobs = [job(k, "UNDEPLOY", JobState.IN_PROGRESS, n) for n, k in enumerate("abc")]
    said = undeploy_told(jobs, dict.fromkeys("abc", "already"), set(), "")
    assert said == "Nothing sent. 3 already live: tracking them.", said
    one = undeploy_told(jobs[:1], {"a": "already"}, set(), "")
    assert one == "Nothing sent. 1 already live: tracking it.", one


def test_an_unknown_outcome_names_no_kind_it_does_not_know() -> None:
    """'check the model before retrying' on a tool's UNKNOWN undeploy."""
    from kore_tui.core.outcomes import unknown

    said = unknown(RuntimeError("connection reset"), None, None).error  # type: ignore[arg-type]
    assert said is not None and "model" not in said and "check it on the platform" in said


def test_retry_told_ends_each_sentence() -> None:
    """'… its row shows it Marks cleared.': the refusal's reason had no full stop."""
    from kore_tui.tui.screens.retry_dialog import told

    said = told(0, ["not re-sent: retried in another process meanwhile; its row shows it"])
    assert said.endswith("its row shows it."), said
    assert told(2, []) == "Retrying 2 job(s)."
