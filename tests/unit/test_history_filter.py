"""History's filter reaches a retried job by the dock status ID of its earlier attempt."""

from __future__ import annotations

from kore_tui.core.job import Job, JobState, Transition
from kore_tui.tui.screens.history import matches_filter

OLD = "ds-c10faa40-03ba-43db-b3f7-ba8e0445d656"


def test_a_retried_job_is_found_by_its_earlier_dock_status_id() -> None:
    """An operator's run: after R, history's "/ds-c10faa40" found nothing: the row shows
    the new attempt's ID; the old one is only in the retry's step of the timeline."""
    retry = f"retry requested by the operator; attempt 1 ended FAILED ({OLD}): boom"
    job = Job(
        key="k",
        environment="staging",
        host="h",
        origin="sent",
        model_id="cm-cd447e35-0000-4000-8000-000000000000",
        dock_status_id="ds-8d8e3b13-0000-4000-8000-000000000000",
        state=JobState.SUCCESS,
        timeline=(Transition("t", JobState.QUEUED, retry),),
    )
    assert matches_filter(job, "ds-c10faa40")
    assert matches_filter(job, "ds-8d8e3b13") and matches_filter(job, "cm-cd447e35")
    assert not matches_filter(job, "ds-ffffffff")
    # The timeline's words are not searched: "failed" listed every retried job.
    assert not matches_filter(job, "failed") and not matches_filter(job, "boom")
