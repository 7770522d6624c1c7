"""An answer about another resource or another action never counts as our job's."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kore_tui.core.answer_match import about_another_job, mismatch
from kore_tui.core.job import Job, JobState
from kore_tui.core.track import Tries

OURS = "cm-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
OTHER = "cm-00000000-0000-4000-8000-000000000000"
JOB = Job(
    key="k",
    environment="prod",
    host="https://x.example",
    origin="sent",
    model_id=OURS,
    dock_status_id=None,
    state=JobState.IN_PROGRESS,
    action="UNDEPLOY",
)


@pytest.mark.parametrize(
    ("resource_id", "action", "about_another"),
    [
        (OURS, "UNDEPLOY", False),
        (OURS.upper(), "undeploy", False),  # spelling differs, same job
        (None, None, False),  # the contract: the field may be absent
        ("64f1c0ffee", "UNDEPLOY", False),  # not a cm-/a- ID: says nothing either way
        (OURS, "SOMETHING_NEW", False),  # an action we do not know: says nothing
        (OTHER, "UNDEPLOY", True),
        ("a-00000000-0000-4000-8000-000000000000", None, True),
        (OURS, "DEPLOY", True),
        (None, "EXPORT", True),
    ],
)
def test_which_answers_are_about_another_job(
    resource_id: str | None, action: str | None, about_another: bool
) -> None:
    assert (mismatch(JOB, resource_id, action) is not None) is about_another


def test_a_watched_job_takes_the_answer_as_it_comes() -> None:
    watched = replace(JOB, origin="watch", model_id=None, action="?")
    assert mismatch(watched, OTHER, "DEPLOY") is None


def test_an_answer_about_another_job_makes_it_unknown_never_success() -> None:
    reason = mismatch(JOB, OTHER, "UNDEPLOY")
    assert reason is not None and OTHER in reason and OURS in reason
    outcome = about_another_job(reason, Tries())
    assert outcome.state is JobState.UNKNOWN and outcome.error and reason in outcome.error
    assert outcome.again_in is None, "not polled again, not re-sent"


def test_a_dock_status_about_another_dock_status_id_is_another_job() -> None:
    """A break-it run: GET dock-status/ds-X answered with _id ds-Y (same model, UNDEPLOY,
    SUCCESS) and the job ended SUCCESS."""
    ours = replace(JOB, dock_status_id="ds-d0a1b2c3-b4c9-4d60-8e75-5b0a1b2c3d41")
    other = "ds-00000000-0000-4000-8000-000000000000"
    assert mismatch(ours, OURS, "UNDEPLOY", other) is not None
    assert mismatch(ours, OURS, "UNDEPLOY", str(ours.dock_status_id).upper()) is None
    assert mismatch(ours, OURS, "UNDEPLOY", None) is None
    watched = replace(ours, origin="watch")
    assert mismatch(watched, None, None, other) is not None, "a watched ID is ours too"
