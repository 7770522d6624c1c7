"""ctrl+w on a dock status ID the panel already shows: it says so, and checks it again.

It said "Watching 1 job(s)." and did nothing: no row (one per job is right), but also no
check, so a job whose tracking had been stopped (x) stayed "IN_PROGRESS ⏸" for good.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from kore_tui.core.job import Job, JobState
from kore_tui.simulator import SimulatorThread
from kore_tui.tui.app import KoreApp
from kore_tui.tui.screens.confirm import ConfirmUndeploy
from kore_tui.tui.widgets.jobs_table import JobsTable
from tests.helpers import admin_sync
from tests.tui.conftest import configured_sim, make_app, until
from tests.tui.test_console import paste, undeploy_in_ui
from tests.tui.test_console_fluent import messages

SIZE = (120, 36)
NOT_SHOWN = "ds-00000000-0000-4000-8000-00000000beef"


@pytest.fixture
def slow_sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[SimulatorThread]:
    with configured_sim(monkeypatch, models=4, job_seconds=(2.0, 2.0)) as sim:
        yield sim


async def stop_one_in_flight(app: KoreApp, pilot: Pilot[Any], sim: SimulatorThread) -> Job:
    """Undeploy the simulator's first model and stop tracking it (x) once it is in flight;
    the job as it was when it was stopped."""
    await until(pilot, lambda: app.host is not None)
    await undeploy_in_ui(app, pilot, sim.model_ids[:1])
    model = app.main.model
    await until(pilot, lambda: any(j.dock_status_id for j in model.jobs.values()))
    (job,) = model.jobs.values()
    table = app.main.query_one(JobsTable)
    await until(pilot, lambda: table.cursor_key == job.key)
    table.focus()
    await pilot.press("x")
    await until(pilot, lambda: not model.jobs[job.key].tracking)
    return job


async def test_watching_shown_ids_says_what_it_did_and_revives_a_stopped_one(
    slow_sim: SimulatorThread,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        job = await stop_one_in_flight(app, pilot, slow_sim)
        model = app.main.model
        assert job.dock_status_id is not None and not job.is_final

        await paste(app, f"{job.dock_status_id}\n{NOT_SHOWN}")
        await pilot.press("ctrl+w")
        told = "Watching 1 new job(s); 1 already in the panel: checked again."
        await until(pilot, lambda: told in messages(app))
        await until(pilot, lambda: len(model.jobs) == 2)  # the new ID's row, on the next drain
        assert {j.dock_status_id for j in model.jobs.values()} == {job.dock_status_id, NOT_SHOWN}
        await until(pilot, lambda: model.jobs[job.key].tracking)
        await until(pilot, lambda: model.jobs[job.key].state is JobState.SUCCESS)

        await paste(app, job.dock_status_id)
        await pilot.press("ctrl+w")
        told = "1 already in the panel and final (1 SUCCESS)."
        await until(pilot, lambda: told in messages(app))
        assert len(model.jobs) == 2


async def test_retry_on_a_watched_job_re_checks_it_without_a_send_confirmation(
    slow_sim: SimulatorThread,
) -> None:
    """R on a watched ERROR job asked "Retry ? 1 model(s) … They stop serving" for a job
    whose action is not ours to send; the engine only re-checks it."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await paste(app, NOT_SHOWN)
        await pilot.press("ctrl+w")
        model = app.main.model
        await until(pilot, lambda: [j.state for j in model.jobs.values()] == [JobState.ERROR])
        (job,) = model.jobs.values()
        table = app.main.query_one(JobsTable)
        table.focus()
        await until(pilot, lambda: table.cursor_key == job.key)
        await pilot.press("R")
        told = "Re-checking 1 watched job(s): a job started elsewhere is never re-sent."
        await until(pilot, lambda: told in messages(app))
        assert app.screen is app.main, "no confirmation: nothing is sent"
        await until(pilot, lambda: model.jobs[job.key].polls > job.polls)


async def test_a_retry_of_sent_and_watched_jobs_counts_each_for_what_it_is(
    simenv: SimulatorThread,
) -> None:
    """Marked FAILED/ERROR jobs, one of them watched: the confirmation said the watched
    one was "not FAILED, UNKNOWN or ERROR" and "left alone" while it was being re-checked."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        admin_sync(simenv.url, "/_sim/force", "POST", json={"responses": [{"status": 500}]})
        await undeploy_in_ui(app, pilot, simenv.model_ids[:1])
        await paste(app, NOT_SHOWN)
        await pilot.press("ctrl+w")
        model = app.main.model
        await until(
            pilot,
            lambda: sorted(j.state.value for j in model.jobs.values()) == ["ERROR", "UNKNOWN"],
        )
        # `a` marks the rows shown, which follow the model on the table's next rebuild.
        await until(pilot, lambda: len(model.visible) == 2)
        app.main.query_one(JobsTable).focus()
        await pilot.press("a")
        assert len(model.marks) == 2
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))
        note = str(app.screen.query_one("#note", Static).render())
        assert "Retrying 1 UNKNOWN" in note, note
        assert "1 watched job(s) are re-checked now, never re-sent" in note, note
        assert "left alone" not in note, note
        await pilot.press("escape")


async def test_a_batch_with_a_stopped_job_still_ends_and_counts_it(
    slow_sim: SimulatorThread,
) -> None:
    """The batch line waited for every job to be final: one stopped (x) job, which no one
    polls any more, kept the batch open for good and its summary never came."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await undeploy_in_ui(app, pilot, slow_sim.model_ids[:2])
        model = app.main.model
        await until(pilot, lambda: len(model.jobs) == 2)
        await until(pilot, lambda: all(j.dock_status_id for j in model.jobs.values()))
        table = app.main.query_one(JobsTable)
        table.focus()
        # The rows, not just the jobs: the panel rebuilds its rows at most every 0.3 s, and
        # an x before that said "No job selected" (a flaky run of this test).
        await until(pilot, lambda: len(model.visible) == 2)
        table.cursor = 0
        await pilot.press("x")
        await until(pilot, lambda: sum(not j.tracking for j in model.jobs.values()) == 1)
        line = app.main.query_one("#batch", Static)
        await until(pilot, lambda: line.display, timeout=10)
        assert "Batch done: 1 SUCCESS, 1 stopped ⏸" in str(line.render())
        await until(pilot, lambda: line.size.height > 0)  # laid out on the next refresh
        assert line.size.height == 1, "one row at 120 columns"
        # r tracks it again; its end comes before a drain sees it live: the line said
        # "1 stopped ⏸" under a summary that no longer had one.
        table.cursor = 0
        await pilot.press("r")
        await until(pilot, lambda: all(j.state is JobState.SUCCESS for j in model.jobs.values()))
        await until(pilot, lambda: "Batch done: 2 SUCCESS" in str(line.render()))
        assert "stopped" not in str(line.render())


async def test_quitting_names_the_command_that_checks_a_stopped_job(
    slow_sim: SimulatorThread,
) -> None:
    """An operator stopped a job (x) and quit: no question (it was their word), but no hint
    either, and the printed resume command skips stopped jobs: the job was forgotten."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        job = await stop_one_in_flight(app, pilot, slow_sim)
        await pilot.press("ctrl+q")
    assert app.resume_hints() == [
        f"kore-tui status --env sim {job.dock_status_id}   (tracking stopped with x)"
    ]


@pytest.fixture
def failing_sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[SimulatorThread]:
    with configured_sim(monkeypatch, models=2, job_seconds=(0.05, 0.1), fail_rate=1.0) as sim:
        yield sim


async def test_watching_an_earlier_attempt_s_id_names_its_job_and_adds_no_row(
    failing_sim: SimulatorThread,
) -> None:
    """A break-it run: the ID an alert named was a retried job's failed attempt; watching it
    added a FAILED row for a model the retry had undeployed, and the summary counted it."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await undeploy_in_ui(app, pilot, failing_sim.model_ids[:1])
        model = app.main.model
        await until(pilot, lambda: [j.state for j in model.jobs.values()] == [JobState.FAILED])
        (failed,) = model.jobs.values()
        failing_sim.simulator.state.fail_rate = 0.0
        table = app.main.query_one(JobsTable)
        table.focus()
        await until(pilot, lambda: table.cursor_key == failed.key)
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))
        await pilot.click("#confirm")
        await until(pilot, lambda: model.jobs[failed.key].state is JobState.SUCCESS)

        await paste(app, str(failed.dock_status_id))
        await pilot.press("ctrl+w")
        told = (
            f"{failed.dock_status_id} is an earlier attempt of {failed.model_id} "
            "(now SUCCESS): its row, no new one."
        )
        await until(pilot, lambda: told in messages(app))
        await pilot.pause(0.4)  # a row would come with the next drain (every 0.3 s at most)
        assert list(model.jobs) == [failed.key]
