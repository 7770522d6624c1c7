"""Undo, deploy, bounce and tools in the console, driven with Pilot against the simulator
over real HTTP; what was sent is read from the simulator's admin counters."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from textual import events
from textual.widgets import Button, DataTable, Input, Select, Static

from kore_tui.core.job import Job, JobState
from kore_tui.core.journal import Journal
from kore_tui.simulator import SimulatorThread
from kore_tui.tui.app import KoreApp
from kore_tui.tui.screens.confirm import ConfirmUndeploy
from kore_tui.tui.screens.deploy_form import DeployForm
from kore_tui.tui.screens.detail import JobDetail, detail_text
from kore_tui.tui.screens.history import HistoryScreen
from kore_tui.tui.widgets.id_entry import IdEntry
from kore_tui.tui.widgets.job_columns import row_cells
from kore_tui.tui.widgets.jobs_table import JobsTable
from tests.conftest import sim_config
from tests.helpers import admin_sync
from tests.tui.conftest import env_block, make_app, until, write_config
from tests.tui.test_console import paste, screen_text, undeploy_in_ui

SIZE = (120, 36)
PROFILE = """
[deploy_profiles.gpu]
model_type = "openSource"
name = "support-bot"
device_type = "g5.xlarge"
[deploy_profiles.gpu.hyper_parameters]
temperature = 0.5
max_tokens = 256
top_p = 0.9
top_k = 40
[deploy_profiles.gpu.scaling_parameters]
min_replicas = 1
max_replicas = 3
"""


@pytest.fixture
def lifesim(monkeypatch: pytest.MonkeyPatch) -> Iterator[SimulatorThread]:
    """Deployed models and tools, and undeployed models (Ready to Deploy)."""
    from tests.conftest import SENTINEL_KEY

    monkeypatch.setenv("SIM_KEY", SENTINEL_KEY)
    with SimulatorThread(
        sim_config(models=6, tools=3, ready_models=2, job_seconds=(0.2, 0.5))
    ) as sim:
        yield sim


@pytest.fixture
def slow_lifesim(monkeypatch: pytest.MonkeyPatch) -> Iterator[SimulatorThread]:
    """Jobs of 3 s, so that a bounce's first half is still in flight when a test acts;
    configured with the deploy profile."""
    from tests.conftest import SENTINEL_KEY

    monkeypatch.setenv("SIM_KEY", SENTINEL_KEY)
    with SimulatorThread(sim_config(models=2, job_seconds=(3.0, 3.0))) as sim:
        configure(sim, profile=True)
        yield sim


def configure(sim: SimulatorThread, *, profile: bool, read_only: bool = False) -> None:
    extra = 'deploy_profile = "gpu"\n' if profile else ""
    extra += "read_only = true\n" if read_only else ""
    write_config('default = "sim"\n' + env_block("sim", sim.url, extra) + PROFILE)


def counters(sim: SimulatorThread) -> dict[str, Any]:
    answer: dict[str, Any] = admin_sync(sim.url, "/_sim/counters")
    return answer


def messages(app: KoreApp) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


def jobs_of(app: KoreApp, action: str) -> list[Job]:
    return [j for j in app.main.model.jobs.values() if j.action == action]


def all_final(app: KoreApp, expected: int) -> bool:
    jobs = list(app.main.model.jobs.values())
    return len(jobs) == expected and all(j.is_final for j in jobs)


def confirm_text(app: KoreApp) -> str:
    screen = app.screen
    assert isinstance(screen, ConfirmUndeploy)
    return "\n".join(str(w.render()) for w in screen.query(Static))


async def test_mixed_paste_counts_each_kind_and_undeploys_both(lifesim: SimulatorThread) -> None:
    configure(lifesim, profile=True)
    app = make_app()
    models, tools = lifesim.model_ids[:2], lifesim.tool_ids[:1]
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await paste(app, f"id,name\n{models[0]},a\n{tools[0]},t\n{models[1]},b\n")
        feedback = str(app.main.query_one("#feedback", Static).render())
        assert "2 model ID(s)" in feedback and "1 tool ID(s)" in feedback
        assert str(app.main.query_one("#undeploy", Button).label) == "Undeploy 3"
        await pilot.press("ctrl+u")
        text = confirm_text(app)
        assert "Undeploy 2 model(s) and 1 tool(s) in" in text
        assert tools[0] in text and models[1] in text
        await pilot.click("#confirm")
        await until(pilot, lambda: all_final(app, 3))
        assert {j.state for j in app.main.model.jobs.values()} == {JobState.SUCCESS}
        assert {j.resource for j in app.main.model.jobs.values()} == {"model", "tool"}
        sent = counters(lifesim)["received"]["UNDEPLOY"]
        assert sent == {models[0]: 1, models[1]: 1, tools[0]: 1}


async def test_undo_from_the_panel_redeploys_with_the_environment_profile(
    lifesim: SimulatorThread,
) -> None:
    configure(lifesim, profile=True)
    app = make_app()
    model, tool = lifesim.model_ids[0], lifesim.tool_ids[0]
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await undeploy_in_ui(app, pilot, [model, tool])
        await until(pilot, lambda: all_final(app, 2))
        table = app.main.query_one(JobsTable)
        table.focus()
        # Mark both, undo, and an Enter typed at once (one burst): until the confirmation
        # was up, Textual gave the Enter to the panel, which opened a job detail under it.
        for key, character in (("a", "a"), ("u", "u"), ("enter", "\r")):
            app.post_message(events.Key(key, character))
        await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))
        await pilot.pause()
        assert not any(isinstance(s, JobDetail) for s in app.screen_stack), app.screen_stack
        text = confirm_text(app)
        assert "Undo: redeploy 1 model(s) and 1 tool(s)" in text
        # What costs money, and where the parameters came from.
        assert "g5.xlarge, 1-3 replicas" in text and "deploy profile 'gpu'" in text
        assert "1 tool(s): asynchronous deploy" in text
        assert counters(lifesim)["received"]["DEPLOY"] == {}
        await pilot.click("#confirm")
        await until(pilot, lambda: all_final(app, 4))
        deploys = jobs_of(app, "DEPLOY")
        assert {j.model_id for j in deploys} == {model, tool}
        assert {j.state for j in deploys} == {JobState.SUCCESS}
        assert counters(lifesim)["accepted"]["DEPLOY"] == {model: 1, tool: 1}
        # The table shows the model on its next (throttled) rebuild, not at once.
        await until(pilot, lambda: "DEPLOY" in screen_text(app))
        assert "Queued 2 deploy(s): 1 model(s) and 1 tool(s)." in messages(app)
        # The cursor is on the first row the undo brought (an operator's run: it stayed on
        # the undeploy, the new row off-screen below, and Enter opened the old job).
        first = min(deploys, key=lambda j: app.main.model.index_of(j.key) or 0)
        await until(pilot, lambda: table.cursor_key == first.key)

        # Undo again on the same undeploy: it offered the same confirmation and sent a
        # second deploy (the platform's 409, an ERROR row, the banner's error count).
        table.action_clear_marks()
        (undeploy,) = [j for j in jobs_of(app, "UNDEPLOY") if j.model_id == model]
        await until(pilot, lambda: app.main.model.index_of(undeploy.key) is not None)
        table.cursor = app.main.model.index_of(undeploy.key) or 0
        await pilot.press("u")
        said = "Nothing sent: 1 already redeployed since its undeploy"
        await until(pilot, lambda: said in messages(app))
        assert not isinstance(app.screen, ConfirmUndeploy)
        assert counters(lifesim)["received"]["DEPLOY"] == {model: 1, tool: 1}


async def test_undo_from_history_with_the_form_refusing_an_out_of_range_value(
    lifesim: SimulatorThread,
) -> None:
    configure(lifesim, profile=False)  # no journal record, no default profile: the form
    app = make_app()
    model = lifesim.model_ids[1]
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await undeploy_in_ui(app, pilot, [model])
        await until(pilot, lambda: all_final(app, 1))
        await pilot.press("f3")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, HistoryScreen)
                and app.screen.query_one(DataTable).row_count == 1
                # the journal's final state may land up to 50 ms after the panel's (group
                # commit); history refreshes every 2 s
                and app.screen.jobs[0].state is JobState.SUCCESS
            ),
        )
        # the rows have the keys (the hidden filter box had the focus: u typed into it)
        assert isinstance(app.focused, DataTable)
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, DeployForm))
        form = app.screen
        assert isinstance(form, DeployForm)
        title = str(form.query_one("#title", Static).render())
        assert title.startswith("Undo: redeploy · deploy parameters for 1 model(s)"), title
        form.query_one("#profile", Select).value = "gpu"  # fills every field
        await pilot.pause()
        assert form.query_one("#name", Input).value == "support-bot"
        form.query_one("#temperature", Input).value = "3.5"
        form.query_one("#top_k", Input).value = "0"
        await pilot.click("#use")
        why = str(form.query_one("#why", Static).render())
        # Every bad value at once, and the focus on the first (one per round trip before).
        assert "hyper_parameters.temperature must be a number from 0 to 2 (got 3.5)" in why
        assert "hyper_parameters.top_k must be" in why, why
        assert form.focused is form.query_one("#temperature", Input)
        assert isinstance(app.screen, DeployForm)
        assert counters(lifesim)["received"]["DEPLOY"] == {}
        form.query_one("#temperature", Input).value = "1.5"
        form.query_one("#top_k", Input).value = "5"
        form.query_one("#max_replicas", Input).value = "2"
        form.query_one("#max_replicas", Input).focus()
        await pilot.press("enter")  # Enter in any field submits, like the button
        await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))
        # Esc at the confirmation, then u again: the form came back empty (an operator's
        # run: 9 fields to type again to change one). It keeps what was entered for these
        # models, and says so.
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, DeployForm))
        again = app.screen
        assert isinstance(again, DeployForm)
        await pilot.pause()
        assert again.query_one("#temperature", Input).value == "1.5"
        assert again.query_one("#name", Input).value == "support-bot"
        assert "as entered last" in str(again.query_one("#title", Static).render())
        await pilot.click("#use")
        await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))
        text = confirm_text(app)
        assert "g5.xlarge, 1-2 replicas" in text and "the deploy form" in text
        await pilot.click("#confirm")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await until(pilot, lambda: any(j.state is JobState.SUCCESS for j in jobs_of(app, "DEPLOY")))
        assert counters(lifesim)["accepted"]["DEPLOY"] == {model: 1}
        (deploy,) = jobs_of(app, "DEPLOY")
        assert deploy.params is not None
        assert deploy.params["hyper_parameters"]["temperature"] == 1.5


async def test_deploy_from_the_id_box_reuses_the_journal_parameters(
    lifesim: SimulatorThread,
) -> None:
    configure(lifesim, profile=False)
    app = make_app()
    ready = lifesim.ready_model_ids[0]
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        dock = "ds-00000000-0000-4000-8000-000000000001"
        await paste(app, f"{ready}\n{dock}")
        await pilot.press("ctrl+d")
        await until(pilot, lambda: isinstance(app.screen, DeployForm))
        app.screen.query_one("#profile", Select).value = "gpu"
        await pilot.pause()
        await pilot.click("#use")
        await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))
        await pilot.click("#confirm")
        await until(pilot, lambda: all_final(app, 1))
        # ctrl+d left the box as it was; like ctrl+u it keeps only what it did not take,
        # and the focus goes to the jobs panel (it stayed in the box).
        assert app.main.query_one(IdEntry).text_area.text.split() == [dock]
        assert app.focused is app.main.query_one("#jobs")
        await undeploy_in_ui(app, pilot, [ready])
        await until(pilot, lambda: all_final(app, 2))
        await paste(app, ready)
        await pilot.press("ctrl+d")  # the journal has its last deploy now: no form
        await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))
        assert "from the journal" in confirm_text(app)


async def test_bounce_with_a_failed_first_half_never_sends_the_redeploy(
    lifesim: SimulatorThread,
) -> None:
    configure(lifesim, profile=True)
    app = make_app()
    failing, fine = lifesim.model_ids[2], lifesim.model_ids[3]
    admin_sync(
        lifesim.url,
        "/_sim/outcomes",
        "POST",
        json={"outcomes": [{"status": "FAILED", "action": "UNDEPLOY", "resource": failing}]},
    )
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await paste(app, f"{failing}\n{fine}")
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))
        text = confirm_text(app)
        assert "Bounce 2 model(s)" in text and "g5.xlarge, 1-3 replicas" in text
        assert "redeployed once its undeploy is verified SUCCESS" in text
        await pilot.click("#confirm")
        # the failing one stops after its undeploy; the other gets its redeploy row
        await until(
            pilot,
            lambda: all_final(app, 3) and not any(j.then for j in app.main.model.jobs.values()),
            timeout=20,
        )
        (stopped,) = [j for j in jobs_of(app, "UNDEPLOY") if j.model_id == failing]
        assert stopped.state is JobState.FAILED
        assert stopped.error is not None and "bounce stopped" in stopped.error
        assert "the redeploy was not sent" in stopped.error
        (second,) = jobs_of(app, "DEPLOY")
        assert second.model_id == fine and second.parent is not None
        sent = counters(lifesim)["received"]
        assert failing not in sent["DEPLOY"] and sent["DEPLOY"] == {fine: 1}
        assert sent["UNDEPLOY"] == {failing: 1, fine: 1}
        # The table shows the model on its next (throttled) rebuild, not at once.
        await until(pilot, lambda: "bounce stopped" in screen_text(app))
        # Still a bounce's first half, in the panel, history and the detail: a stopped
        # bounce read as a plain UNDEPLOY, its detail "Bounce  -" (an operator's run).
        assert row_cells(stopped, 0.0)["action"][0] == "UNDEPLOY ↻"
        said = detail_text(stopped).plain
        assert "first half of a bounce that stopped: the redeploy was not sent" in said, said


async def test_read_only_refuses_every_action_and_says_so(lifesim: SimulatorThread) -> None:
    configure(lifesim, profile=True)
    app = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await paste(app, f"{lifesim.model_ids[0]}\n{lifesim.tool_ids[0]}")
        for key, action in (("ctrl+u", "undeploy"), ("ctrl+d", "deploy"), ("ctrl+r", "bounce")):
            await pilot.press(key)
            await until(pilot, lambda: f"read-only: {action} is disabled" in messages(app))
            assert not isinstance(app.screen, ConfirmUndeploy | DeployForm), key
        # The console is read-only (--read-only), not the environment: the message says so.
        assert "This console is read-only: undeploy is disabled (opened with --read-only)." in (
            messages(app)
        )
        assert "sim is read-only" not in messages(app)
        app.main.query_one(JobsTable).focus()
        for key, action in (("u", "undo (redeploy)"), ("b", "bounce")):
            await pilot.press(key)
            await until(pilot, lambda: f"read-only: {action} is disabled" in messages(app))
        # the engine refuses too, whatever the console does
        host = app.host
        assert host is not None
        from kore_tui.core.deploy_params import DeployParams
        from kore_tui.core.engine import ReadOnlyError

        with pytest.raises(ReadOnlyError):
            host.call_wait(lambda e: e.deploy([lifesim.tool_ids[0]], DeployParams()))
        sent = counters(lifesim)["received"]
        assert sent["UNDEPLOY"] == {} and sent["DEPLOY"] == {}


async def test_stopping_a_bounce_s_undeploy_says_its_redeploy_waits(
    slow_lifesim: SimulatorThread,
) -> None:
    """x on a bounce's first half said only "Stopped tracking 1 job(s).": its redeploy is
    sent once the undeploy is verified SUCCESS, which no one checks any more, so the model
    stayed down with nothing on screen saying why."""
    sim = slow_lifesim
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await paste(app, sim.model_ids[0])
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))
        await pilot.click("#confirm")
        model = app.main.model
        await until(pilot, lambda: any(j.dock_status_id for j in model.jobs.values()))
        table = app.main.query_one(JobsTable)
        table.focus()
        await until(pilot, lambda: table.cursor_key is not None)  # its row, rebuilt
        await pilot.press("x")
        said = "Stopped tracking 1 job(s). 1 bounce(s) will not redeploy until r re-checks"
        await until(pilot, lambda: said in messages(app))


async def test_retrying_a_failed_deploy_is_confirmed_as_a_deploy_with_its_cost(
    lifesim: SimulatorThread,
) -> None:
    """R on a DEPLOY FAILED row asked 'Retry deploy 1 model(s)' under the undeploy's
    warning ('They stop serving…') and showed no cost, unlike every other deploy."""
    configure(lifesim, profile=True)
    ready = lifesim.ready_model_ids[0]
    admin_sync(
        lifesim.url,
        "/_sim/outcomes",
        "POST",
        json={"outcomes": [{"status": "FAILED", "action": "DEPLOY", "resource": ready}]},
    )
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await paste(app, ready)
        await pilot.press("ctrl+d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))
        await pilot.click("#confirm")
        await until(pilot, lambda: all_final(app, 1))
        (failed,) = jobs_of(app, "DEPLOY")
        assert failed.state is JobState.FAILED
        table = app.main.query_one(JobsTable)
        await until(pilot, lambda: table.cursor_key == failed.key)
        table.focus()
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))
        text = confirm_text(app)
        assert "Retry deploy 1 model(s)" in text
        assert "cost: 1 model(s): g5.xlarge, 1-3 replicas" in text, text
        assert "cost money" in text and "stop serving" not in text, text


async def test_a_bounce_that_joins_a_live_undeploy_says_it_did_not_start(
    slow_lifesim: SimulatorThread,
) -> None:
    """'Queued 1 bounce(s)' for a model whose undeploy was already in flight: the bounce
    joined that job, and no redeploy ever follows a job that is not its own."""
    sim = slow_lifesim
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await undeploy_in_ui(app, pilot, sim.model_ids[:1])
        await until(pilot, lambda: len(app.main.model.jobs) == 1)
        # The panel shows it live: said before any form or confirmation (an operator's run
        # filled a whole deploy form for a model whose undeploy was running).
        await paste(app, sim.model_ids[0])
        await pilot.press("ctrl+r")
        said = "Nothing to bounce: 1 with a live job here (1 IN_PROGRESS UNDEPLOY)"
        await until(pilot, lambda: said in messages(app))
        assert app.screen is app.main
        await pilot.press("ctrl+d")
        await until(pilot, lambda: "Nothing to deploy: 1 with a live job here" in messages(app))
        assert app.screen is app.main
        # With another model: the confirmation says which one is joined, not sent.
        await paste(app, "\n".join(sim.model_ids[:2]))
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))
        text = confirm_text(app)
        assert "1 with a live job here (1 IN_PROGRESS UNDEPLOY): joined, not sent" in text, text
        await pilot.click("#confirm")
        said = "1 not started: a live job of theirs was joined"
        await until(pilot, lambda: said in messages(app))
        await until(pilot, lambda: all_final(app, 3), timeout=15)
        await asyncio.sleep(0.3)  # deliberate: time for a redeploy that must not go out
        assert {j.model_id for j in jobs_of(app, "DEPLOY")} == {sim.model_ids[1]}
        assert set(counters(sim)["received"]["DEPLOY"]) == {sim.model_ids[1]}


async def test_bouncing_an_undeployed_model_leaves_it_out_and_says_so(
    lifesim: SimulatorThread,
) -> None:
    """An operator bounced a model whose undeploy had just succeeded: the confirmation said
    'Each stops serving…', and the bounce ended ERROR 409 with no redeploy."""
    configure(lifesim, profile=True)
    app = make_app()
    model = lifesim.model_ids[0]
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await undeploy_in_ui(app, pilot, [model])
        await until(pilot, lambda: all_final(app, 1))
        table = app.main.query_one(JobsTable)
        (job,) = app.main.model.jobs.values()
        await until(pilot, lambda: table.cursor_key == job.key)
        table.focus()
        said: list[str] = []
        app.notify = lambda message, **kw: said.append(message)  # type: ignore[method-assign]
        await pilot.press("b")
        await until(pilot, lambda: bool(said))
        assert said[0].startswith("Nothing to bounce: 1 undeployed"), said
        assert "u (undo) redeploys them" in said[0]
        assert not isinstance(app.screen, ConfirmUndeploy), "no dialog offers Bounce 1"
        # With a deployed model marked too: the undeployed one is left out, and said so.
        await paste(app, lifesim.ready_model_ids[0])
        await pilot.press("ctrl+d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))
        await pilot.click("#confirm")
        await until(pilot, lambda: all_final(app, 2))
        table.focus()
        await pilot.press("home", "space", "space")  # space marks and moves down
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))
        text = confirm_text(app)
        assert "1 undeployed (last job here: UNDEPLOY SUCCESS) left out" in text, text
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.main)
        # From the ID box too (an operator's run: ctrl+r listed all 3 with no note, and the
        # undeployed one ended 'UNDEPLOY ↻ ERROR … bounce stopped', still down).
        said.clear()
        await paste(app, model)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: bool(said))
        assert said[0].startswith("Nothing to bounce: 1 undeployed"), said
        assert not isinstance(app.screen, ConfirmUndeploy)
        await paste(app, f"{model}\n{lifesim.ready_model_ids[0]}")
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))
        text = confirm_text(app)
        assert "1 undeployed (last job here: UNDEPLOY SUCCESS) left out" in text, text
        assert model not in text.split("left out")[1], "not in the list of what is bounced"


async def test_quitting_mid_bounce_prints_the_command_that_redeploys(
    slow_lifesim: SimulatorThread,
) -> None:
    """The quit question said 'kore-tui deploy sends it'; the exit text printed only the
    status command, and a SIGTERM not even the question."""
    from textual.widgets import Button as _Button

    from kore_tui.tui.screens.prompts import YesNo

    sim = slow_lifesim
    app = make_app()
    model = sim.model_ids[0]
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await paste(app, model)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))
        await pilot.click("#confirm")
        await until(pilot, lambda: any(j.then for j in app.main.model.jobs.values()))
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, YesNo))
        app.screen.query_one("#yes", _Button).press()
        await until(pilot, lambda: not app.is_running)
    hints = app.resume_hints()
    assert "kore-tui status --env sim --wait   (1 job(s) not final)" in hints, hints
    assert any(h.startswith(f"kore-tui deploy --env sim {model}") for h in hints), hints


async def test_f_marks_only_each_resource_s_newest_job(lifesim: SimulatorThread) -> None:
    """F then R re-sent an old FAILED undeploy whose model a later undeploy had taken down
    (409 'not deployed'), and listed a resource with two failed rows twice."""
    configure(lifesim, profile=True)
    model = lifesim.model_ids[0]
    admin_sync(
        lifesim.url,
        "/_sim/outcomes",
        "POST",
        json={"outcomes": [{"status": "FAILED", "action": "UNDEPLOY", "resource": model}]},
    )
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await undeploy_in_ui(app, pilot, [model])
        await until(pilot, lambda: all_final(app, 1))
        await undeploy_in_ui(app, pilot, [model])  # again: this one succeeds
        await until(pilot, lambda: all_final(app, 2))
        states = sorted(j.state.value for j in app.main.model.jobs.values())
        assert states == ["FAILED", "SUCCESS"]
        app.main.query_one(JobsTable).focus()
        await pilot.press("F")
        assert "No FAILED, UNKNOWN, ERROR or TIMED_OUT jobs to mark." in messages(app)
        assert not app.main.model.marks


async def test_undo_from_history_refuses_a_job_sent_to_the_host_the_environment_had_before(
    lifesim: SimulatorThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    """History keeps an environment's jobs by name; once the name points at another host,
    undo of an old row would have redeployed it on the new host."""
    configure(lifesim, profile=True)
    model = lifesim.model_ids[1]
    journal = Journal()
    old_host = "http://127.0.0.1:9"
    job = Job(
        key="old-1",
        environment="sim",
        host=old_host,
        origin="sent",
        model_id=model,
        resource="model",
        state=JobState.SUCCESS,
        dock_status_id="ds-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    )
    journal.record([job], "sent before the environment was re-pointed")
    journal.close()
    app = make_app()
    said: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        assert "old-1" not in app.main.model.jobs, "another platform's job is not in the panel"
        monkeypatch.setattr(app, "notify", lambda message, **kw: said.append(message))
        await pilot.press("f3")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, HistoryScreen)
                and app.screen.query_one(DataTable).row_count == 1
            ),
        )
        await pilot.press("u")
        await until(pilot, lambda: any("Nothing was sent" in m for m in said))
        assert old_host in said[-1]
        assert isinstance(app.screen, HistoryScreen)
    assert counters(lifesim)["received"]["DEPLOY"] == {}


async def test_the_form_of_a_bounce_says_it_is_for_the_redeploy(lifesim: SimulatorThread) -> None:
    """An operator's run: `b` on a running model opened a blank form titled "Deploy
    parameters for 1 model(s) in prod", with no word of the bounce or of the parameters
    the model runs with."""
    configure(lifesim, profile=False)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await paste(app, lifesim.model_ids[0])
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, DeployForm))
        title = str(app.screen.query_one("#title", Static).render())
        assert title.startswith("Bounce · deploy parameters for 1 model(s) in sim"), title
        assert "undeployed first, then deployed again" in title
        await pilot.press("escape")
    assert counters(lifesim)["received"]["UNDEPLOY"] == {}


async def test_an_undeploy_that_joins_a_live_deploy_or_an_unknown_job_says_it_was_not_sent(
    slow_lifesim: SimulatorThread,
) -> None:
    """A break-it run: ctrl+u on models whose deploy was running said "Queued 2
    undeploy(s)" and showed only the two DEPLOY rows; on models whose last undeploy was
    UNKNOWN it said the same while nothing was sent (the CLI said "not sent" for both)."""
    from kore_tui.core.deploy_params import DeployParams

    sim = slow_lifesim
    deploying = sim.model_ids[0]
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: app.host is not None)
        host = app.host
        assert host is not None and app.config is not None
        params = DeployParams(model=app.config.deploy_profiles["gpu"])
        (gone,) = host.call_wait(lambda e: e.undeploy([deploying]))
        await until(pilot, lambda: all_final(app, 1), timeout=10)
        host.call_wait(lambda e: e.deploy([deploying], params))
        await until(pilot, lambda: len(app.main.model.jobs) == 2)
        app.clear_notifications()
        await paste(app, deploying)
        await pilot.press("ctrl+u")
        await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))
        await pilot.click("#confirm")
        said = "1 not sent: a live DEPLOY of it was joined (its row)"
        await until(pilot, lambda: said in messages(app))
        assert "Nothing sent. 1 not sent: a live DEPLOY" in messages(app), messages(app)
        assert jobs_of(app, "UNDEPLOY") == [app.main.model.jobs[gone.key]]
        await until(pilot, lambda: all_final(app, 2), timeout=10)
        assert sum(counters(sim)["received"]["UNDEPLOY"].values()) == 1
