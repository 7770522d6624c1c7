"""Undo is refused for an undeploy whose resource was deployed again since: the same
undo twice sent a second deploy (the platform's 409, an ERROR row)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kore_tui.core.job import Job, JobState
from kore_tui.core.journal import Journal

HOST = "https://example.invalid"
MODEL = "cm-00000000-0000-4000-8000-000000000001"


def job(key: str, action: str, state: JobState, at: str, model: str = MODEL) -> Job:
    return Job(
        key=key,
        environment="prod",
        host=HOST,
        origin="sent",
        model_id=model,
        dock_status_id=None,
        state=state,
        action=action,
        created_at=at,
    )


UNDEPLOY = job("u1", "UNDEPLOY", JobState.SUCCESS, "2026-12-03T10:00:00.000Z")


@pytest.mark.parametrize(
    ("later", "blocks"),
    [
        (job("d1", "DEPLOY", JobState.SUCCESS, "2026-12-03T10:05:00.000Z"), True),
        (job("d1", "DEPLOY", JobState.IN_PROGRESS, "2026-12-03T10:05:00.000Z"), True),
        (job("d1", "DEPLOY", JobState.UNKNOWN, "2026-12-03T10:05:00.000Z"), True),
        (job("d1", "DEPLOY", JobState.TIMED_OUT, "2026-12-03T10:05:00.000Z"), True),
        # A deploy that failed left the resource undeployed: undo may try again.
        (job("d1", "DEPLOY", JobState.FAILED, "2026-12-03T10:05:00.000Z"), False),
        (job("d1", "DEPLOY", JobState.ERROR, "2026-12-03T10:05:00.000Z"), False),
        # Before the undeploy: what the undeploy took down, not a redeploy.
        (job("d0", "DEPLOY", JobState.SUCCESS, "2026-12-03T09:00:00.000Z"), False),
        # Another resource, or another undeploy.
        (job("d1", "DEPLOY", JobState.SUCCESS, "2026-12-03T10:05:00.000Z", "cm-other"), False),
        (job("u2", "UNDEPLOY", JobState.SUCCESS, "2026-12-03T10:05:00.000Z"), False),
    ],
)
def test_a_deploy_since_the_undeploy_that_has_not_failed_blocks_its_undo(
    tmp_path: Path, later: Job, blocks: bool
) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    try:
        journal.record([UNDEPLOY, later])
        found = journal.deploy_since(HOST, MODEL, UNDEPLOY.created_at)
        assert (found is not None and found.key == later.key) if blocks else found is None
    finally:
        journal.close()
