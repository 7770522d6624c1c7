"""A dialog answers once, however fast the keys come.

"Enter Tab Enter" in one burst (tmux send-keys, a fast typist) pressed Cancel, moved to the
confirm button of the dialog being dismissed and pressed it too: Textual's dismiss ran the
callback again and popped the screen below (the main screen: the console crashed). Under
a deeper stack the second answer would have been a send after a Cancel.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual import events
from textual.pilot import Pilot

from kore_tui.simulator import SimulatorThread
from kore_tui.tui.app import KoreApp
from kore_tui.tui.screens.confirm import ConfirmUndeploy
from kore_tui.tui.screens.main import MainScreen
from kore_tui.tui.screens.prompts import YesNo
from tests.helpers import admin_sync
from tests.tui.conftest import make_app, until
from tests.tui.test_console import paste
from tests.tui.test_console_fluent import messages


def burst(app: object, *keys: tuple[str, str | None]) -> None:
    """Keys queued at once, as a terminal delivers a burst: none waits for the last."""
    for key, character in keys:
        app.post_message(events.Key(key, character))  # type: ignore[attr-defined]


ENTER, TAB = ("enter", "\r"), ("tab", "\t")


async def one_job_ended_table_focused(
    app: KoreApp, pilot: Pilot[Any], sim: SimulatorThread
) -> None:
    """The console connected, one undeploy sent and ended, the jobs table focused."""
    from tests.tui.test_console import all_final

    await until(pilot, lambda: app.host is not None)
    await paste(app, sim.model_ids[0])
    await pilot.press("ctrl+u")
    await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))
    await pilot.click("#confirm")
    await until(pilot, lambda: all_final(app))
    app.main.query_one("JobsTable").focus()
    await pilot.pause()


async def test_cancel_then_confirm_in_one_burst_is_one_cancel(simenv: SimulatorThread) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.host is not None)
        await paste(app, simenv.model_ids[0])
        await pilot.press("ctrl+u")
        await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))
        burst(app, ENTER, TAB, ENTER)
        await until(pilot, lambda: "Cancelled: nothing was sent." in messages(app))
        await asyncio.sleep(0.5)  # deliberate: time for a second answer that must not come
        assert isinstance(app.screen, MainScreen) and app.is_running
        assert not app.main.model.jobs
    assert app.return_code in (0, None)
    assert admin_sync(simenv.url, "/_sim/counters")["undeployReceived"] == {}


async def test_a_dialog_over_a_dialog_answers_once_and_leaves_the_one_below() -> None:
    """The second answer of a dialog on top of another one (what the burst above does to
    the confirmation over the main screen) popped the dialog below and answered again."""
    app = make_app(default_env=None)
    answers: list[bool | None] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(YesNo("first?", yes="Yes"))
        await until(pilot, lambda: isinstance(app.screen, YesNo))
        below = app.screen
        second = YesNo("second?", yes="Yes")
        app.push_screen(second, answers.append)
        await until(pilot, lambda: app.screen is second and app.focused is not None)
        await until(pilot, lambda: app.focused is second.query_one("#no"))
        second.dismiss(False)
        second.dismiss(True)
        await until(pilot, lambda: app.screen is below)
        # The callback runs on the app's queue: on a loaded machine it came after 0.3 s.
        await until(pilot, lambda: answers == [False])
        await asyncio.sleep(0.3)  # deliberate: a second answer would pop the dialog below
        assert app.screen is below and answers == [False]


async def test_a_cancel_in_a_burst_is_never_overtaken_by_the_enter_behind_it(
    simenv: SimulatorThread,
) -> None:
    """In the protected-name field, 'Escape Enter' and 'prod Tab Enter' in one burst must
    cancel: an input that submitted on Enter by itself (to judge 'prod Enter q' as 'prod')
    let the Enter overtake the Escape or the Tab, which Textual resolves through the
    bindings later, and sent the undeploy (a break-it run, 3 of 3 times)."""
    from tests.tui.conftest import env_block, write_config

    write_config('default = "sim"\n' + env_block("sim", simenv.url, "protected = true\n"))
    app = make_app()
    escape = ("escape", "\x1b")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.host is not None)
        for keys in (
            [*((c, c) for c in "sim"), escape, ENTER],
            [*((c, c) for c in "sim"), TAB, ENTER],
        ):
            await paste(app, simenv.model_ids[0])
            await pilot.press("ctrl+u")
            await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))
            burst(app, *keys)
            await until(pilot, lambda: not isinstance(app.screen, ConfirmUndeploy))
            await asyncio.sleep(0.3)  # deliberate: time for a send that must not happen
            assert not app.main.model.jobs, keys
    assert admin_sync(simenv.url, "/_sim/counters")["undeployReceived"] == {}


async def test_letters_typed_right_after_slash_filter_and_run_no_panel_key(
    simenv: SimulatorThread,
) -> None:
    """An operator's burst '/ p r o d' on prod paused every request to it: the letters
    reached the jobs table (p pause, x stop, e export) before the filter box had the
    focus, and the filter stayed empty."""
    from textual.widgets import Input

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await one_job_ended_table_focused(app, pilot, simenv)
        burst(app, ("slash", "/"), *[(c, c) for c in "pxe"])
        box = app.main.query_one("#filter", Input)
        await until(pilot, lambda: box.value == "pxe")
        burst(app, ("slash", "/"))  # in the box, a '/' is text
        await until(pilot, lambda: box.value == "pxe/")
        assert app.host is not None and not app.host.store.health.user_paused
        assert app.screen is app.main, "e opened no export dialog"


async def test_letters_typed_right_after_slash_in_history_filter_it(
    simenv: SimulatorThread,
) -> None:
    """The same burst in the history (F3): '/ f 3 8 b' left its filter empty."""
    from textual.widgets import Input

    from kore_tui.tui.screens.history import HistoryScreen

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.host is not None)
        await pilot.press("f3")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        history = app.screen
        await pilot.pause()
        burst(app, ("slash", "/"), *[(c, c) for c in "f38b"])
        box = history.query_one("#history-filter", Input)
        await until(pilot, lambda: box.value == "f38b", 5)
        burst(app, ("slash", "/"))  # in the box, a '/' is text
        await until(pilot, lambda: box.value == "f38b/", 5)


async def test_a_path_typed_right_after_e_is_the_export_s(
    simenv: SimulatorThread, tmp_path: Path
) -> None:
    """A break-it run: the burst 'e ctrl+u /tmp/op2/exp1.csv Enter' left the export prompt
    with its default name and wrote nothing: the keys reached the jobs table before the
    prompt was on screen (e was a plain binding, run after them)."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await one_job_ended_table_focused(app, pilot, simenv)
        target = tmp_path / "exp1.csv"
        burst(app, ("e", "e"), ("ctrl+u", None), *[(c, c) for c in str(target)], ENTER)
        await until(pilot, lambda: target.is_file(), 5)
        assert app.screen is app.main and simenv.model_ids[0] in target.read_text()
