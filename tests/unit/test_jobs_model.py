"""The jobs panel's model: counts, filters, sorts and marks, without Textual."""

from __future__ import annotations

from dataclasses import replace

from kore_tui.core.job import BOUNCE_INCOMPLETE, Job, JobState
from kore_tui.tui.jobs_model import JobsModel
from kore_tui.tui.widgets.job_columns import STATE_STYLES, row_cells


def job(i: int, state: JobState, error: str | None = None) -> Job:
    return Job(
        key=f"k{i}",
        environment="e",
        host="h",
        origin="sent",
        model_id=f"cm-{i:08d}-0000-4000-8000-000000000000",
        dock_status_id=None,
        state=state,
        error=error,
        submitted_at=f"2026-11-29T03:00:{i:02d}.000Z",
    )


def test_counts_follow_state_changes() -> None:
    model = JobsModel()
    model.apply([job(1, JobState.QUEUED), job(2, JobState.QUEUED)])
    model.apply([replace(job(1, JobState.QUEUED), state=JobState.SUCCESS)])
    assert model.counts[JobState.QUEUED] == 1 and model.counts[JobState.SUCCESS] == 1
    assert model.final_count == 1


def test_status_filter_text_filter_and_sort() -> None:
    model = JobsModel()
    model.apply(
        [
            job(1, JobState.SUCCESS),
            job(2, JobState.ERROR, "HTTP 409 CONFLICT"),
            job(3, JobState.IN_PROGRESS),
            job(4, JobState.UNKNOWN, "HTTP 503"),
        ]
    )
    model.rebuild()
    assert model.visible == ["k1", "k2", "k3", "k4"]
    model.status_filter = "problems"
    model.rebuild()
    assert model.visible == ["k2", "k4"]
    model.status_filter = "all"
    model.text_filter = "409"
    model.rebuild()
    assert model.visible == ["k2"]
    model.text_filter = ""
    model.sort = "status"
    model.rebuild()
    assert model.visible == ["k2", "k4", "k3", "k1"]


def test_a_bounce_that_left_its_model_down_is_a_problem_not_a_success() -> None:
    """An operator's run: the bounce's console quit before the redeploy; the row read a
    plain green SUCCESS and the problems view (f) left it out, with the model down."""
    stranded = replace(
        job(1, JobState.SUCCESS, "bounce incomplete: … redeploy was never sent"),
        error_kind=BOUNCE_INCOMPLETE,
    )
    model = JobsModel()
    model.apply([stranded, job(2, JobState.SUCCESS), job(3, JobState.FAILED)])
    model.status_filter = "problems"
    model.rebuild()
    assert model.visible == ["k1", "k3"]
    model.status_filter = "success"
    model.rebuild()
    assert model.visible == ["k2"]
    cells = row_cells(stranded, now=0.0)
    assert cells["status"][0] == "NO REDEPLOY"  # whole in the 13-column Status
    assert cells["status"][1] == STATE_STYLES[JobState.FAILED]


def test_a_change_that_moves_a_job_in_or_out_of_the_view_rebuilds_it() -> None:
    """Only a change of state re-filtered the rows: a SUCCESS undeploy found stranded by
    its bounce (state kept, error_kind set) stayed in "view: success" and out of
    "problems", and a job whose error came to match the text filter stayed hidden."""
    model = JobsModel()
    model.status_filter = "success"
    model.apply([job(1, JobState.SUCCESS)])
    model.rebuild()
    assert model.visible == ["k1"] and not model.dirty
    stranded = replace(job(1, JobState.SUCCESS, "bounce incomplete"), error_kind=BOUNCE_INCOMPLETE)
    model.apply([stranded])
    assert model.dirty
    model.rebuild()
    assert model.visible == []
    model.status_filter, model.text_filter = "all", "conflict"
    model.apply([job(2, JobState.ERROR)])
    model.rebuild()
    assert model.visible == []
    model.apply([job(2, JobState.ERROR, "HTTP 409 CONFLICT")])
    assert model.dirty
    model.rebuild()
    assert model.visible == ["k2"]
    model.apply([job(2, JobState.ERROR, "HTTP 409 CONFLICT: again")])
    assert not model.dirty, "a change that keeps the job where it is needs no rebuild"


def test_changed_rows_are_reported_by_visible_index() -> None:
    model = JobsModel()
    model.apply([job(1, JobState.IN_PROGRESS), job(2, JobState.IN_PROGRESS)])
    model.rebuild()
    rows = model.apply([replace(job(2, JobState.IN_PROGRESS), polls=3)])
    assert rows == [1] and not model.dirty


def test_marks_selection_and_hidden_marks() -> None:
    model = JobsModel()
    model.apply([job(1, JobState.SUCCESS), job(2, JobState.FAILED)])
    model.rebuild()
    assert model.selection("k1") == ["k1"]
    model.toggle_mark("k2")
    assert model.selection("k1") == ["k2"]
    model.status_filter = "success"
    model.rebuild()
    assert model.hidden_marks == 1
    model.clear()
    assert model.marks == set() and model.jobs == {} and model.status_filter == "success"


def test_undeployed_reads_each_resource_s_newest_job() -> None:
    from kore_tui.tui.jobs_model import undeployed

    down = replace(job(1, JobState.SUCCESS), created_at="2026-11-29T03:00:01Z")
    redeployed_model = replace(job(2, JobState.SUCCESS), created_at="2026-11-29T03:00:01Z")
    redeploy = replace(
        job(2, JobState.SUCCESS), key="k2b", action="DEPLOY", created_at="2026-11-29T03:00:09Z"
    )
    failed = job(3, JobState.FAILED)
    bouncing = replace(job(4, JobState.SUCCESS), then="DEPLOY")
    jobs = [down, redeployed_model, redeploy, failed, bouncing]
    ids = [j.model_id or "" for j in jobs]
    assert undeployed(jobs, ids) == [down.model_id]


def test_r_on_a_job_without_a_dock_status_id_says_r_retries_it() -> None:
    """'Nothing to re-check: 1 UNKNOWN (SUCCESS and FAILED are final; R retries FAILED)'
    on an UNKNOWN job: R retries UNKNOWN too, and the job has nothing to check."""
    from kore_tui.tui.screens.retry_dialog import nothing_to_recheck

    lost = job(1, JobState.UNKNOWN, "HTTP 503")
    said = nothing_to_recheck([lost])
    assert "1 UNKNOWN or ERROR job(s) have no dock status ID to check: R retries them" in said
    final = nothing_to_recheck([job(2, JobState.SUCCESS)])
    assert (
        final == "Nothing to re-check: 1 SUCCESS (SUCCESS and FAILED are final; R retries FAILED)."
    )


def test_bounces_left_down_are_counted_apart_and_follow_changes() -> None:
    stranded = replace(job(1, JobState.SUCCESS, "bounce incomplete"), error_kind=BOUNCE_INCOMPLETE)
    model = JobsModel()
    model.apply([stranded, job(2, JobState.SUCCESS)])
    assert model.down == 1 and model.counts[JobState.SUCCESS] == 2
    model.apply([replace(stranded, error_kind=None)])  # redeployed meanwhile, say
    assert model.down == 0
    model.apply([stranded])
    model.apply([], removed=["k1"])
    assert model.down == 0


def test_newest_by_resource_keeps_one_job_per_resource() -> None:
    from kore_tui.tui.jobs_model import newest_by_resource

    old = replace(job(1, JobState.FAILED), created_at="2026-11-29T03:00:01Z")
    again = replace(job(1, JobState.SUCCESS), key="k1b", created_at="2026-11-29T03:00:05Z")
    twice = [
        replace(job(2, JobState.FAILED), key=f"k2{n}", created_at=f"2026-11-29T03:00:0{n}Z")
        for n in (1, 2)
    ]
    watched = replace(job(3, JobState.UNKNOWN), model_id=None, dock_status_id="ds-x")
    newest = newest_by_resource([old, again, *twice, watched])
    assert {j.key for j in newest.values()} == {"k1b", "k22", "k3"}


def test_history_shows_a_bounce_left_down_as_in_the_panel() -> None:
    """F3 showed these rows as a green SUCCESS (a break-it run at 200 columns)."""
    from kore_tui.tui.widgets.history_columns import history_cells, history_columns

    stranded = replace(job(1, JobState.SUCCESS, "bounce incomplete"), error_kind=BOUNCE_INCOMPLETE)
    columns = history_columns(200, all_environments=False)
    status = history_cells(stranded, columns)[[c.key for c in columns].index("status")]
    assert status.plain == "NO REDEPLOY" and status.style == STATE_STYLES[JobState.FAILED]


def test_the_problems_view_shows_what_is_wrong_now_not_fixed_failures() -> None:
    """An operator's run: the problems view listed a model's old FAILED undeploys although
    its latest undeploy was SUCCESS, and F then R started from that list."""
    fixed = replace(job(1, JobState.FAILED), created_at="2026-11-29T03:00:01Z")
    later = replace(job(1, JobState.SUCCESS), key="k1b", created_at="2026-11-29T03:00:05Z")
    broken = replace(job(2, JobState.FAILED), created_at="2026-11-29T03:00:02Z")
    model = JobsModel()
    model.apply([fixed, later, broken])
    model.status_filter = "problems"
    model.rebuild()
    assert model.visible == ["k2"]
    model.status_filter = "all"
    model.rebuild()
    assert set(model.visible) == {"k1", "k1b", "k2"}, "the panel keeps every row"
