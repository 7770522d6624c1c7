"""Several environments in one console session: each keeps its engine and its jobs."""

from __future__ import annotations

import ast
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from kore_tui.core.job import JobState
from kore_tui.simulator import SimulatorThread
from kore_tui.tui.app import KoreApp
from kore_tui.tui.screens.confirm import ConfirmUndeploy
from kore_tui.tui.screens.environments import EnvironmentPicker
from kore_tui.tui.screens.prompts import YesNo
from kore_tui.tui.widgets.id_entry import IdEntry
from kore_tui.tui.widgets.jobs_table import JobsTable
from tests.conftest import sim_config
from tests.tui.conftest import env_block, make_app, until, write_config
from tests.tui.test_console import undeploy_in_ui
from tests.tui.test_dialog_answers_once import burst

SIZE = (120, 36)


@pytest.fixture
def slow_sim() -> Iterator[SimulatorThread]:
    with SimulatorThread(sim_config(models=4, job_seconds=(4.0, 4.0))) as sim:
        yield sim


def engine_threads(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == f"engine-{name}" and t.is_alive()]


async def pick(app: KoreApp, pilot: Pilot[Any], name: str) -> None:
    assert app.config is not None
    await pilot.press("f2")
    assert isinstance(app.screen, EnvironmentPicker)
    options = app.screen.query_one(OptionList)
    options.highlighted = sorted(app.config.environments).index(name)
    await pilot.press("enter")


async def test_switching_keeps_tracking_and_the_jobs_of_each_environment(
    simenv: SimulatorThread, slow_sim: SimulatorThread
) -> None:
    write_config(
        'default = "slow"\n'
        + env_block("slow", slow_sim.url)
        + env_block("fast", simenv.url, 'colour = "green"')
    )
    app = make_app("slow")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        slow_host = app.host
        await undeploy_in_ui(app, pilot, slow_sim.model_ids[:2])
        # The keys act on the rows the table shows, which follow the model on its next rebuild.
        await until(pilot, lambda: len(app.main.model.visible) == 2)
        app.main.query_one(JobsTable).focus()
        await pilot.press("a")
        assert len(app.main.model.marks) == 2
        await pilot.press("f")  # view: active
        assert app.main.model.status_filter == "active"
        await pick(app, pilot, "fast")
        await until(pilot, lambda: app.host is not None and app.host.env.name == "fast")
        # The panel shows this environment only; marks do not come along, nor does the
        # other environment's batch ("Batch done: 0 SUCCESS" about jobs not shown here).
        assert app.main.model.jobs == {} and app.main.model.marks == set()
        # Nor the view: "view: success" carried over hid the next environment's FAILED
        # rows. And the focus is in the ID box, as at start: it stayed on the jobs panel,
        # where an ID typed next ran as keys (a: mark all, e: export, b: bounce...).
        assert app.main.model.status_filter == "all"
        await until(pilot, lambda: app.focused is app.main.query_one(IdEntry).text_area, 5)
        await pilot.pause(0.3)  # deliberate: drain ticks that must not bring the batch back
        assert not app.main.query_one("#batch").display
        banner = str(app.main.query_one("#banner", Static).render())
        assert "fast" in banner and "2 active in slow" in banner
        # The other environment's engine keeps going while we look elsewhere.
        slow = app.sessions.get("slow")
        assert engine_threads("slow") and slow is not None and slow.host is slow_host
        slow_model = slow.model
        await until(pilot, lambda: all(j.is_final for j in slow_model.jobs.values()))
        await undeploy_in_ui(app, pilot, simenv.model_ids[:1])
        await until(pilot, lambda: len(app.main.model.jobs) == 1)
        await pick(app, pilot, "slow")
        await until(pilot, lambda: app.host is slow_host)
        assert len(app.main.model.jobs) == 2
        assert {j.state for j in app.main.model.jobs.values()} == {JobState.SUCCESS}
        assert app.main.model.counts[JobState.SUCCESS] == 2
        assert app.main.model.marks == set()
        assert len(engine_threads("slow")) == 1 and len(engine_threads("fast")) == 1


async def test_all_environments_view_has_an_env_column_and_acts_only_here(
    simenv: SimulatorThread, slow_sim: SimulatorThread
) -> None:
    from tests.tui.test_lifecycle import PROFILE

    fast = env_block("fast", simenv.url, 'deploy_profile = "gpu"')  # ctrl+d: no form
    write_config('default = "slow"\n' + env_block("slow", slow_sim.url) + fast + PROFILE)
    app = make_app("slow")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await undeploy_in_ui(app, pilot, slow_sim.model_ids[:2])
        await until(pilot, lambda: len(app.main.model.jobs) == 2)
        await pick(app, pilot, "fast")
        await until(pilot, lambda: app.host is not None and app.host.env.name == "fast")
        await undeploy_in_ui(app, pilot, simenv.model_ids[:1])
        await until(pilot, lambda: len(app.main.model.jobs) == 1)
        table = app.main.query_one(JobsTable)
        table.focus()
        await pilot.press("E")
        assert table.show_environment
        assert {j.environment for j in app.main.model.jobs.values()} == {"slow", "fast"}
        assert len(app.main.model.jobs) == 3
        header = str(app.main.query_one("#jobs-header").render())
        assert "Env" in header
        rows = [str(table.render_line(y).text) for y in range(3)]
        assert sum("slow" in r for r in rows) == 2 and sum("fast" in r for r in rows) == 1
        await until(pilot, lambda: all(j.is_final for j in app.main.model.jobs.values()))
        # Acting on another environment's job from here is refused, not sent to this one.
        table.cursor = next(
            i
            for i, k in enumerate(app.main.model.visible)
            if app.main.model.jobs[k].environment == "slow"
        )
        await pilot.press("r")
        await until(
            pilot, lambda: any("switch to it" in str(n.message) for n in app._notifications)
        )
        await pilot.press("E")
        assert not table.show_environment and len(app.main.model.jobs) == 1
        assert "Env" not in str(app.main.query_one("#jobs-header").render())


async def test_one_engine_per_environment_with_a_slow_key_command(simenv: SimulatorThread) -> None:
    slow_key = '["sh", "-c", "sleep 1.5; printf %s \\"$SIM_KEY\\""]'
    write_config(
        'default = "slowkey"\n'
        + f'[environments.slowkey]\nhost = "{simenv.url}"\nkey_command = {slow_key}\n'
        + env_block("other", simenv.url)
    )
    app = make_app("slowkey")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.2)  # deliberate: the key command is still running
        assert app.host is None
        await pick(app, pilot, "other")
        await pick(app, pilot, "slowkey")
        await pick(app, pilot, "other")
        await pick(app, pilot, "slowkey")
        await until(pilot, lambda: app.host is not None and app.host.env.name == "slowkey")
        await pilot.pause(2.0)  # every key command started would have finished by now
        assert len(engine_threads("slowkey")) == 1
        assert len(engine_threads("other")) == 1


async def test_reopening_shows_recent_jobs_and_quit_names_the_resume_command(
    simenv: SimulatorThread, slow_sim: SimulatorThread
) -> None:
    write_config(
        'default = "fast"\n' + env_block("fast", simenv.url) + env_block("slow", slow_sim.url)
    )
    app = make_app("fast")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await undeploy_in_ui(app, pilot, simenv.model_ids[:2])
        await until(
            pilot,
            lambda: (
                len(app.main.model.jobs) == 2
                and all(j.is_final for j in app.main.model.jobs.values())
            ),
        )
    again = make_app("fast")
    async with again.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(again.main.model.jobs) == 2)
        assert {j.state for j in again.main.model.jobs.values()} == {JobState.SUCCESS}
        assert again.host is not None and again.host.resumed == []
        await pick(again, pilot, "slow")
        await until(pilot, lambda: again.host is not None and again.host.env.name == "slow")
        await undeploy_in_ui(again, pilot, slow_sim.model_ids[:1])
        await until(pilot, lambda: len(again.main.model.jobs) == 1)
        await pick(again, pilot, "fast")
        await until(pilot, lambda: again.host is not None and again.host.env.name == "fast")
        await pilot.press("ctrl+q")
        assert isinstance(again.screen, YesNo)
        assert "1 in slow" in again.screen.question
        await pilot.click("#yes")
        await pilot.pause(0.2)
    assert again.resume_hints() == ["kore-tui status --env slow --wait   (1 job(s) not final)"]


def test_main_screen_does_not_import_the_app() -> None:
    source = Path("kore_tui/tui/screens/main.py").read_text()
    imported = {
        node.module for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)
    }
    assert "kore_tui.tui.app" not in imported


async def test_ids_left_in_the_box_are_named_when_the_environment_changes(
    simenv: SimulatorThread, slow_sim: SimulatorThread
) -> None:
    """An operator's run: a staging ID typed, F2 to prod, and 'Undeploy 1' ready there
    without a word that the box had come along."""
    from tests.tui.test_console import paste
    from tests.tui.test_console_fluent import messages
    from tests.tui.test_lifecycle import PROFILE

    fast = env_block("fast", simenv.url, 'deploy_profile = "gpu"')  # ctrl+d: no form
    write_config('default = "slow"\n' + env_block("slow", slow_sim.url) + fast + PROFILE)
    app = make_app("slow")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await paste(app, slow_sim.model_ids[0])
        await pick(app, pilot, "fast")
        await until(pilot, lambda: app.host is not None and app.host.env.name == "fast")
        said = "The ID box still holds 1 model/tool ID(s): an action now goes to fast."
        await until(pilot, lambda: any(said in m for m in messages(app)))
        # The toast is gone after a few seconds (and a dialog shows none): the
        # confirmation itself says where the IDs came from.
        for key in ("ctrl+u", "ctrl+d"):
            await pilot.press(key)
            await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))
            title = " ".join(str(w.render()) for w in app.screen.query(Static))
            assert "pasted while slow was open, not fast" in title, title
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is app.main)
        # One more ID typed here does not make the first this environment's (break-it run:
        # the line was gone after one keystroke).
        await paste(app, f"{slow_sim.model_ids[0]}\n{simenv.model_ids[1]}")
        await pilot.press("ctrl+u")
        await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))
        title = " ".join(str(w.render()) for w in app.screen.query(Static))
        assert "1 of these IDs were pasted while slow was open, not fast" in title, title
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.main)
        await paste(app, simenv.model_ids[2])  # pasted here: nothing to say
        await pilot.press("ctrl+u")
        await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))
        title = " ".join(str(w.render()) for w in app.screen.query(Static))
        assert "pasted while" not in title
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.main)
        # Once the box no longer holds them, the same ID typed again here is this
        # environment's (an operator's run: ctrl+l, the ID typed again, and the warning
        # still named the old environment, then again after the next F2).
        await paste(app, slow_sim.model_ids[0])
        await pilot.press("ctrl+l")
        await paste(app, slow_sim.model_ids[0])
        await pilot.press("ctrl+u")
        await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))
        title = " ".join(str(w.render()) for w in app.screen.query(Static))
        assert "pasted while" not in title, title


async def test_the_batch_line_of_a_reopened_console_counts_only_what_it_sent(
    simenv: SimulatorThread,
) -> None:
    """'Batch done: 18 SUCCESS, 7 FAILED, 2 ERROR' after sending 5: the rows a reopened
    console loads from the journal were counted as the new batch's."""
    write_config('default = "sim"\n' + env_block("sim", simenv.url))
    first = make_app("sim")
    async with first.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: first.host is not None)
        await undeploy_in_ui(first, pilot, simenv.model_ids[:3])
        await until(
            pilot,
            lambda: (
                len(first.main.model.jobs) == 3
                and all(j.is_final for j in first.main.model.jobs.values())
            ),
        )
    again = make_app("sim")
    async with again.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(again.main.model.jobs) == 3)
        await undeploy_in_ui(again, pilot, simenv.model_ids[3:4])
        batch = again.main.query_one("#batch", Static)
        await until(pilot, lambda: batch.display and "Batch done" in str(batch.render()))
        assert "Batch done: 1 SUCCESS" in str(batch.render()), str(batch.render())


async def test_the_cursor_goes_to_the_rows_a_send_from_the_id_box_brings(
    simenv: SimulatorThread,
) -> None:
    """An operator's run at 80x24: under a panel of earlier rows the new ones were added
    below the visible area; only End showed them, and the next key acted on an old row."""
    write_config('default = "sim"\n' + env_block("sim", simenv.url))
    app = make_app("sim")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.host is not None)
        await undeploy_in_ui(app, pilot, simenv.model_ids[:11])
        table = app.main.query_one(JobsTable)
        await until(pilot, lambda: len(app.main.model.visible) == 11)
        table.cursor = 0
        await undeploy_in_ui(app, pilot, simenv.model_ids[11:12])
        await until(pilot, lambda: len(app.main.model.visible) == 12)
        await until(pilot, lambda: table.cursor == 11)
        assert app.main.model.jobs[str(table.cursor_key)].model_id == simenv.model_ids[11]

        def in_sight() -> bool:
            top = int(table.scroll_offset.y)
            return top <= table.cursor < top + table.size.height

        # Asserted at once, this failed 1 run in 3: the scroll range of the rows before the
        # rebuild cut the scroll short until a later rebuild (up to 1 s).
        await until(pilot, in_sight)


async def test_a_send_shows_its_rows_when_the_view_or_the_filter_hid_them(
    simenv: SimulatorThread,
) -> None:
    """With the problems view or a text filter on, the rows a send brought were hidden: the
    operator sent, saw nothing new, and the cursor stayed on an old row."""
    write_config('default = "sim"\n' + env_block("sim", simenv.url))
    app = make_app("sim")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.host is not None)
        await undeploy_in_ui(app, pilot, simenv.model_ids[:3])
        model = app.main.model
        table = app.main.query_one(JobsTable)
        await until(pilot, lambda: len(model.visible) == 3 and model.final_count == 3)
        table.focus()
        while model.status_filter != "problems":
            await pilot.press("f")
        assert model.visible == []
        await undeploy_in_ui(app, pilot, simenv.model_ids[3:4])
        await until(pilot, lambda: table.cursor_key is not None)
        assert model.status_filter == "all"
        assert model.jobs[str(table.cursor_key)].model_id == simenv.model_ids[3]
        assert any("view" in n.message for n in app._notifications), "the reset is said"

        table.focus()
        await pilot.press("slash", *"cm-nomatch", "enter")
        await until(pilot, lambda: model.text_filter == "cm-nomatch" and model.visible == [])
        await undeploy_in_ui(app, pilot, simenv.model_ids[4:5])
        await until(pilot, lambda: table.cursor_key is not None)
        assert model.text_filter == ""
        assert model.jobs[str(table.cursor_key)].model_id == simenv.model_ids[4]
        filter_box = app.main.query_one("#filter")
        assert not filter_box.has_class("visible")


async def test_a_cli_run_in_another_terminal_shows_in_the_open_console(
    simenv: SimulatorThread,
) -> None:
    """An operator's run: `kore-tui undeploy` in another terminal while the console was open
    on the same environment; its job never appeared in the panel (only F3 had it)."""
    import asyncio
    import os
    import sys

    write_config('default = "sim"\n' + env_block("sim", simenv.url))
    app = make_app("sim")
    model = simenv.model_ids[5]
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        cli = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "kore_tui",
            "undeploy",
            "--env",
            "sim",
            "--yes",
            model,
            env=dict(os.environ),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        assert await cli.wait() == 0

        def shown() -> list[Any]:
            return [j for j in app.main.model.jobs.values() if j.model_id == model]

        await until(pilot, lambda: len(shown()) == 1 and shown()[0].is_final)
        assert shown()[0].state is JobState.SUCCESS
        assert len(app.main.model.jobs) == 1


async def test_a_signal_right_after_a_send_still_names_the_jobs_to_resume(
    slow_sim: SimulatorThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A flaky end-to-end run was a real gap: the resume hints counted the rows on screen,
    which the engine's store reaches ten times a second. A SIGHUP or SIGTERM within 100 ms
    of a send exited 129 with the job journaled, in flight, and named nowhere."""
    from kore_tui.tui.termination import HANGUP
    from tests.conftest import SENTINEL_KEY

    monkeypatch.setenv("SIM_KEY", SENTINEL_KEY)
    write_config('default = "slow"\n' + env_block("slow", slow_sim.url))
    app = make_app("slow")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        host = app.host
        assert host is not None
        # Sent and exited within one turn of the UI loop: no drain can run in between.
        host.call_wait(lambda engine: engine.undeploy(slow_sim.model_ids[:1]))
        app.exit(return_code=HANGUP)
    assert app.return_code == HANGUP
    assert app.resume_hints() == ["kore-tui status --env slow --wait   (1 job(s) not final)"]


async def test_a_console_rechecks_jobs_a_cli_deadline_left_timed_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A break-it run: `undeploy --wait --timeout 3` left TIMED_OUT rows ("deadline of 3s
    reached"); every console opened later showed them so, never checked again, while 'r'
    on one turned it SUCCESS at once. A deadline ends the tracking, not the job: a console
    re-checks the jobs that timed out in the last 24 h, as `status --wait` does."""
    from dataclasses import replace

    from kore_tui.core.journal import Journal
    from tests.conftest import SENTINEL_KEY
    from tests.helpers import FAST as ENGINE_FAST
    from tests.helpers import make_engine
    from tests.helpers import until as until_engine

    monkeypatch.setenv("SIM_KEY", SENTINEL_KEY)
    with SimulatorThread(sim_config(models=2, job_seconds=(1.5, 1.5))) as sim:
        write_config('default = "sim"\n' + env_block("sim", sim.url))
        journal = Journal()
        cli = make_engine(sim.url, journal=journal, settings=replace(ENGINE_FAST, job_timeout=0.3))
        cli.start()
        jobs = cli.undeploy(sim.model_ids)
        await until_engine(lambda: all(j.is_final for j in cli.store.snapshot()), 10)
        assert {j.state for j in cli.store.snapshot()} == {JobState.TIMED_OUT}
        await cli.aclose()
        await cli.client.aclose()
        journal.close()
        app = make_app("sim")
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.host is not None)
            model = app.main.model
            await until(
                pilot,
                lambda: all(
                    j.key in model.jobs and model.jobs[j.key].state is JobState.SUCCESS
                    for j in jobs
                ),
                timeout=10,
            )


async def test_the_all_environments_view_leaves_this_environment_s_batch_line_alone(
    simenv: SimulatorThread, slow_sim: SimulatorThread
) -> None:
    """An operator's run: after E (and back) the batch line counted the whole panel
    ("Batch done: 38 SUCCESS, 8 FAILED, 7 ERROR" for a batch of 6): another environment's
    live jobs, in the all-environments view, had opened a batch of their own."""
    write_config(
        'default = "fast"\n' + env_block("slow", slow_sim.url) + env_block("fast", simenv.url)
    )
    app = make_app("slow")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await undeploy_in_ui(app, pilot, slow_sim.model_ids[:1])  # live for a while
        await pick(app, pilot, "fast")
        await until(pilot, lambda: app.host is not None and app.host.env.name == "fast")
        batch = app.main.query_one("#batch", Static)
        await undeploy_in_ui(app, pilot, simenv.model_ids[:1])
        await until(pilot, lambda: batch.display and "1 SUCCESS" in str(batch.render()))
        await undeploy_in_ui(app, pilot, simenv.model_ids[1:3])
        await until(pilot, lambda: batch.display and "2 SUCCESS" in str(batch.render()))
        app.main.query_one(JobsTable).focus()
        await pilot.press("E")
        await pilot.pause(0.3)  # deliberate: drains with the other environment's live job
        await pilot.press("E")
        await pilot.pause(0.3)
        assert batch.display and "Batch done: 2 SUCCESS" in str(batch.render()), batch.render()


async def test_a_key_typed_right_after_enter_in_the_picker_does_not_run_a_picker_command(
    simenv: SimulatorThread,
) -> None:
    """An operator's run: F2, Up to prod, then "Enter d" in one burst opened 'Remove
    environment prod?' instead of switching; "Enter cm-…" opened an editor (its e). Enter
    posted the selection as a message, and the next key's binding ran before it arrived."""
    write_config(
        'default = "sim"\n'
        + env_block("sim", simenv.url)
        + env_block("prod", simenv.url.replace("127.0.0.1", "localhost"), "protected = true")
    )
    app = make_app("sim")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await pilot.press("f2")
        picker = app.screen
        assert isinstance(picker, EnvironmentPicker)
        picker.query_one(OptionList).highlighted = 0  # prod
        burst(app, ("enter", "\r"), ("d", "d"), ("e", "e"), ("n", "n"))
        await until(pilot, lambda: app.env is not None and app.env.name == "prod")
        await pilot.pause(0.3)  # deliberate: a dialog the keys opened would be up by now
        assert app.screen is app.main, app.screen


async def test_keys_typed_while_the_picker_comes_reach_it_in_order(
    simenv: SimulatorThread,
) -> None:
    """An operator's bursts: 'F2 Down Enter' did not switch (the picker reads the config
    first: Down and Enter went to the panel below); 'F2 Up Enter x y z' left the picker
    open and 'xyz' in the ID box. At 0.12 s a key, an ID typed after 'F2 Down Enter' met
    the picker still open, and its d asked to remove an environment."""
    write_config(
        'default = "sim"\n'
        + env_block("sim", simenv.url)
        + env_block("zeta", simenv.url.replace("127.0.0.1", "localhost"))
    )
    app = make_app("sim")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        burst(app, ("f2", None), ("down", None), ("enter", "\r"), ("d", "d"))
        await until(pilot, lambda: app.env is not None and app.env.name == "zeta")
        await pilot.pause(0.3)  # deliberate: a dialog the d opened would be up by now
        assert app.screen is app.main, app.screen
        # Keys typed before a confirmation never answer it: d (remove), then Enter.
        burst(app, ("f2", None), ("d", "d"), ("enter", "\r"))
        await until(pilot, lambda: isinstance(app.screen, YesNo))
        await pilot.pause(0.5)  # deliberate: an Enter that answered would have closed it
        assert isinstance(app.screen, YesNo)
        assert app.config is not None and "zeta" in app.config.environments


async def test_another_name_for_a_protected_platform_asks_for_the_name_too(
    simenv: SimulatorThread,
) -> None:
    """An operator's run: 'stage' written as http://localhost:PORT, the host of protected
    'prod' (http://127.0.0.1:PORT): its undeploy confirmation asked for no name and said
    nothing of prod. And 'prod ' (a trailing space) was told 'names are case-sensitive'."""
    from tests.tui.test_console import paste

    write_config(
        'default = "stage"\n'
        + env_block("prod", simenv.url, "protected = true")
        + env_block("stage", simenv.url.replace("127.0.0.1", "localhost"))
    )
    app = make_app("stage")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        # The banner says so before any action (only the confirmation did).
        from kore_tui.tui.widgets.banner import EnvBanner

        banner = app.main.query_one(EnvBanner)
        await until(pilot, lambda: banner._shown is not None and "last OK" in banner._shown.plain)
        assert banner._shown is not None and " PROTECTED: prod's platform " in banner._shown.plain
        await paste(app, simenv.model_ids[0])
        await pilot.press("ctrl+u")
        await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))
        dialog = app.screen
        title = str(dialog.query_one("#title", Static).render())
        assert "PROTECTED: prod's platform" in title, title
        assert dialog.query_one("#confirm").disabled
        typed = dialog.query_one("#typed", Input)
        assert app.focused is typed
        typed.value = "stage "
        await pilot.press("enter")
        why = str(dialog.query_one("#why", Static).render())
        assert "a space before or after it" in why and "case" not in why, why
        assert isinstance(app.screen, ConfirmUndeploy), "nothing was sent"


async def test_held_keys_released_once_the_console_has_ended_are_dropped(
    simenv: SimulatorThread,
) -> None:
    """A CI run: F2 and the console's end at once; the held keys' delivery, retried until
    the picker had its focus, then ran on an app with no screen left (ScreenStackError
    inside a timer, at exit)."""
    from textual import events

    write_config('default = "sim"\n' + env_block("sim", simenv.url))
    app = make_app("sim")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        app.typed_ahead.hold()
        assert app.typed_ahead.take(events.Key("down", None))
    app.typed_ahead.release()  # the timer's call, after the end: no screen, nothing to do
    assert not app.typed_ahead.holding


async def test_a_console_following_another_process_s_jobs_raises_no_silence_alarm(
    slow_sim: SimulatorThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A console that only follows a job another process sends and checks makes no request
    of its own: its banner's 'last OK 45s ago' turned bold yellow, a host gone quiet, while
    the owner's checks were answered every second."""
    import time

    from kore_tui.core.config import load_config
    from kore_tui.core.engine_host import EngineHost
    from kore_tui.core.engine_settings import EngineSettings
    from kore_tui.core.secret import Secret
    from kore_tui.tui.widgets.banner import EnvBanner
    from tests.conftest import SENTINEL_KEY

    monkeypatch.setenv("SIM_KEY", SENTINEL_KEY)
    write_config('default = "slow"\n' + env_block("slow", slow_sim.url))
    owner = EngineHost(
        load_config().environments["slow"], Secret(SENTINEL_KEY), EngineSettings()
    ).start()
    try:
        owner.call_wait(lambda engine: engine.undeploy(slow_sim.model_ids[:1]))
        app = make_app("slow")
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.host is not None and len(app.main.model.jobs) == 1)
            assert not next(iter(app.main.model.jobs.values())).is_final
            assert app.host is not None
            health = app.host.store  # the last OK answer, 45 s before the banner's now
            await until(pilot, lambda: health.health.last_success_wall is not None)
            app.clock = lambda: (health.health.last_success_wall or 0.0) + 45
            app.main.refresh_banner()
            shown = app.main.query_one(EnvBanner)._shown
            assert shown is not None and "last OK 45s ago" in shown.plain, shown
            start = shown.plain.index("last OK")
            styles = {str(s.style) for s in shown.spans if s.start <= start < s.end}
            assert "bold yellow" not in styles, "a warning for silence nobody here caused"
            # A job of its own: the same silence is a warning.
            app.clock = time.time
            await undeploy_in_ui(app, pilot, slow_sim.model_ids[1:2])
            await until(pilot, lambda: len(app.main.model.jobs) == 2)
            app.clock = lambda: (health.health.last_success_wall or 0.0) + 45
            app.main.refresh_banner()
            shown = app.main.query_one(EnvBanner)._shown
            assert shown is not None
            start = shown.plain.index("last OK")
            styles = {str(s.style) for s in shown.spans if s.start <= start < s.end}
            assert "bold yellow" in styles, shown
    finally:
        owner.stop()


async def test_quitting_counts_a_followed_job_once_where_it_is_tracked(
    slow_sim: SimulatorThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A break-it run: 3 undeploys in prod, then stage (prod's host under another name),
    where the same IDs joined them. Quit asked about '6 job(s) (3 in prod, 3 in stage)'
    and printed 'kore-tui status --env stage --wait', which found nothing to resume: the
    stage engine only followed prod's jobs."""
    from tests.conftest import SENTINEL_KEY

    monkeypatch.setenv("SIM_KEY", SENTINEL_KEY)
    write_config(
        'default = "prod"\n'
        + env_block("prod", slow_sim.url)
        + env_block("stage", slow_sim.url.replace("127.0.0.1", "localhost"))
    )
    app = make_app("prod")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await undeploy_in_ui(app, pilot, slow_sim.model_ids[:3])
        await until(pilot, lambda: len(app.main.model.jobs) == 3)
        await pick(app, pilot, "stage")
        await until(pilot, lambda: app.host is not None and app.host.env.name == "stage")
        await undeploy_in_ui(app, pilot, slow_sim.model_ids[:3])  # joins prod's jobs
        await until(pilot, lambda: len(app.main.model.jobs) == 3)
        assert not any(j.is_final for j in app.main.model.jobs.values())
        assert app.sessions.unfinished() == {"prod": 3}
        await pilot.press("ctrl+q")
        assert isinstance(app.screen, YesNo)
        assert "3 job(s) are not final yet (3 in prod)" in app.screen.question, app.screen.question
        await pilot.click("#yes")
        await pilot.pause(0.2)
    assert app.resume_hints() == ["kore-tui status --env prod --wait   (3 job(s) not final)"]
