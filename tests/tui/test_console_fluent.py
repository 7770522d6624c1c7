"""The console's flows, key by key: each test failed before its fix (bug numbers from the
tui1 brief in the test names' docstrings)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events, on
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Static

from kore_tui.core.job import JobState
from kore_tui.simulator import SimulatorThread
from kore_tui.tools.scenes import Scene, build_app, scripted_jobs
from kore_tui.tui.app import KoreApp
from kore_tui.tui.quitting import quit_question
from kore_tui.tui.screens.confirm import ConfirmUndeploy
from kore_tui.tui.screens.environments import EnvironmentEditor, EnvironmentPicker
from kore_tui.tui.screens.help import HelpScreen
from kore_tui.tui.screens.main import console_keys
from kore_tui.tui.screens.prompts import KeyPrompt, PathPrompt, YesNo
from kore_tui.tui.widgets.id_entry import IdEntry
from kore_tui.tui.widgets.jobs_table import JobsTable
from tests.helpers import admin_sync
from tests.tui.conftest import env_block, make_app, until, write_config
from tests.tui.test_console import SIZE, all_final, paste, undeploy_in_ui


async def _noop(app: KoreApp, pilot: object) -> None:
    return None


def scene_app(env: str = "dev", with_jobs: bool = False) -> KoreApp:
    return build_app(Scene("t", "", env, _noop, with_jobs=with_jobs))


def messages(app: KoreApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def screen_lines(app: KoreApp) -> list[str]:
    return ["".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips()]


def fully_visible(app: KoreApp, widget: Widget) -> bool:
    """On screen and not clipped by a parent or the terminal edge."""
    placed = app.screen._compositor.visible_widgets.get(widget)
    if placed is None:
        return False
    region, clip = placed
    return region.intersection(clip) == region and region.area > 0


async def test_sort_leaves_the_id_box_alone(simenv: SimulatorThread) -> None:
    """Bug 2: `s` put the launch paste back into the ID box; a second ctrl+u re-sent it."""
    from kore_tui.core.config import load_config

    config = load_config()
    app = KoreApp(
        config=config, env=config.environments["sim"], prefill="\n".join(simenv.model_ids[:3])
    )
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await pilot.press("ctrl+u")
        await pilot.click("#confirm")
        await until(pilot, lambda: len(app.main.model.jobs) == 3 and all_final(app))
        assert app.main.query_one(IdEntry).text_area.text == ""
        app.main.query_one(JobsTable).focus()
        await pilot.press("s")
        assert app.main.model.sort == "status"
        assert app.main.query_one(IdEntry).text_area.text == "", "sort refilled the ID box"
        assert app.focused is app.main.query_one(JobsTable), "sort moved the focus"
        await pilot.press("ctrl+u")
        assert not isinstance(app.screen, ConfirmUndeploy)
        counters = admin_sync(simenv.url, "/_sim/counters")
        assert sum(counters["undeployReceived"].values()) == 3


async def test_protected_confirm_name_field_has_focus_and_enter_confirms(
    simenv: SimulatorThread,
) -> None:
    """Bug 3: focus was on Cancel, the placeholder was the name itself, Enter cancelled."""
    write_config('default = "prod"\n' + env_block("prod", simenv.url, "protected = true"))
    app = make_app("prod")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.host is not None)
        await paste(app, simenv.model_ids[0])
        await pilot.press("ctrl+u")
        modal = app.screen
        assert isinstance(modal, ConfirmUndeploy)
        typed = modal.query_one("#typed", Input)
        assert app.focused is typed
        assert typed.value == "" and "prod" not in typed.placeholder
        await pilot.press("p", "r", "o", "enter")
        assert app.screen is modal, "a wrong name must not confirm"
        why = str(modal.query_one("#why", Static).render())
        assert "'pro' is not 'prod'" in why
        assert admin_sync(simenv.url, "/_sim/counters")["undeployReceived"] == {}
        await pilot.press("d", "enter")
        assert not isinstance(app.screen, ConfirmUndeploy)
        await until(pilot, lambda: all_final(app) and len(app.main.model.jobs) == 1)


async def test_id_box_buttons_work_and_counts_stay_visible(simenv: SimulatorThread) -> None:
    """Bug 1: the buttons did nothing; the count label went blank at 10+ IDs."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.host is not None)
        await paste(app, "\n".join(simenv.model_ids[:12]))
        await pilot.pause()
        button = app.main.query_one("#undeploy", Button)
        assert fully_visible(app, button)
        row = [line for line in screen_lines(app) if "Watch" in line]
        assert row and "Undeploy 12" in row[0], row
        await pilot.click("#undeploy")
        assert isinstance(app.screen, ConfirmUndeploy)
        await pilot.press("escape")
        await pilot.click("#clear")
        assert app.main.query_one(IdEntry).text_area.text == ""
        assert "ID box cleared." in messages(app)
        await paste(app, simenv.model_ids[0])
        await pilot.press("ctrl+l")
        assert app.main.query_one(IdEntry).text_area.text == ""
        await pilot.click("#load")
        assert isinstance(app.screen, PathPrompt)
        await pilot.press("escape")
        await pilot.click("#watch")
        assert any("No dock status IDs" in m for m in messages(app))


async def test_paste_with_focus_elsewhere_goes_to_the_id_box() -> None:
    """Bug 14: a paste while the jobs panel (or a button) had the focus was dropped."""
    app = scene_app(with_jobs=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        entry = app.main.query_one(IdEntry)
        entry.set_text("cm-first")
        table = app.main.query_one(JobsTable)
        table.focus()
        await pilot.pause()
        table.post_message(events.Paste("cm-pasted-1\ncm-pasted-2"))
        await pilot.pause()
        assert entry.text_area.text == "cm-first\ncm-pasted-1\ncm-pasted-2"
        assert app.focused is entry.text_area
        button = app.main.query_one("#clear", Button)
        button.post_message(events.Paste("cm-third"))  # a paste that reaches a button
        await pilot.pause()
        assert entry.text_area.text.endswith("\ncm-third")


async def test_tab_moves_between_the_id_box_and_the_jobs_panel_in_one_press() -> None:
    """Tab stopped on the feedback pane and six buttons: eight presses from the ID box to
    the jobs panel. Each button has its key (ctrl+u/d/r/w/o/l) and takes a click."""
    app = scene_app(with_jobs=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        ids, jobs = app.main.query_one("#ids"), app.main.query_one(JobsTable)
        ids.focus()
        await pilot.pause()
        await pilot.press("tab")
        assert app.focused is jobs
        await pilot.press("tab")
        assert app.focused is ids
        await pilot.press("shift+tab")
        assert app.focused is jobs
        await pilot.click("#clear")  # a click still works, and leaves the focus usable
        assert app.main.query_one(IdEntry).text_area.text == ""


async def test_an_action_leaves_in_the_box_the_ids_it_did_not_take(
    simenv: SimulatorThread,
) -> None:
    """ctrl+w on a box of models and dock status IDs emptied it: the models, never acted
    on, were gone; ctrl+u did the same to the dock status IDs. Each action now leaves
    the IDs of the other sort, one per line, and says so."""
    app = make_app()
    models = simenv.model_ids[:2]
    docks = [f"ds-00000000-0000-4000-8000-00000000000{i}" for i in (1, 2)]
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        box = app.main.query_one(IdEntry)
        typo = f"{models[1][:-1]}X"  # a mangled ID: ctrl+w dropped it with the rest
        await paste(
            app, f"id,kind\n{models[0]},m\n{docks[0]},d\n{models[1]},m\n{docks[1]},d\n{typo}\n"
        )
        await pilot.press("ctrl+w")
        await until(pilot, lambda: len(app.main.model.jobs) == 2)
        assert box.text_area.text.split() == [*models, typo]
        kept = "keeps 2 model or tool ID(s) and 1 invalid token(s) it did not use"
        await until(pilot, lambda: any(kept in m for m in messages(app)))
        await undeploy_in_ui(app, pilot, [docks[0], *models])
        await until(pilot, lambda: len(app.main.model.jobs) == 4)
        assert box.text_area.text.split() == [docks[0]]
        await paste(app, "\n".join(models[:1]))  # all of it used: the box empties
        await pilot.press("ctrl+w")
        await until(pilot, lambda: any("No dock status IDs" in m for m in messages(app)))
        assert box.text_area.text.split() == models[:1], "a refused action leaves the box"


async def test_q_in_the_demo_asks_before_its_jobs_and_history_end(
    simenv: SimulatorThread, tmp_path: Path
) -> None:
    """F3, q, q ended the demo at once with every job final: its journal is a temporary
    folder, so the session was gone. A configured environment's journal stays."""
    from kore_tui.core.secret import Secret
    from kore_tui.tui.launch import demo_environment
    from tests.conftest import SENTINEL_KEY
    from tests.tui.conftest import FAST

    app = KoreApp(
        config=None,
        env=demo_environment(simenv.url),
        key=Secret(SENTINEL_KEY),
        journal_path=tmp_path / "demo-journal.sqlite3",
        settings=FAST,
    )
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await undeploy_in_ui(app, pilot, [simenv.model_ids[0]])
        await until(pilot, lambda: all_final(app))
        app.main.query_one(JobsTable).focus()
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, YesNo))
        assert "its 1 job(s) and their history are deleted" in app.screen.question  # type: ignore[attr-defined]
        await pilot.press("escape")
        assert app.is_running and not isinstance(app.screen, YesNo)


async def test_a_confirmed_send_clears_what_earlier_toasts_said(simenv: SimulatorThread) -> None:
    """Cancel, then ctrl+u and confirm: "Cancelled: nothing was sent." stayed on screen over
    the rows of the 30 undeploys it no longer described."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.host is not None)
        await paste(app, simenv.model_ids[0])
        await pilot.press("ctrl+u")
        await pilot.press("escape")
        assert "Cancelled: nothing was sent." in messages(app)
        await pilot.press("ctrl+u")
        await pilot.click("#confirm")
        await until(pilot, lambda: any(m.startswith("Queued 1 undeploy") for m in messages(app)))
        assert "Cancelled: nothing was sent." not in messages(app)


@pytest.mark.parametrize("newline", ["\n", "\r", "\r\n"])
async def test_every_line_of_a_paste_is_measured_whatever_its_line_breaks(newline: str) -> None:
    """A terminal paste (tmux sends CR) showed lines 2+ cut at the first line's width: the
    box measured the lines an edit wrote by counting "\n" only, so an ID on line 2 was
    counted and sent but hidden."""
    app = scene_app(with_jobs=False)
    long_line = "cm-9531985d-5d9d-49f8-9818-e811892f902b, cm-36f675cc-81e7-4ef5-a8e2-5d940ed90475"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        area = app.main.query_one(IdEntry).text_area
        area.focus()
        area.post_message(events.Paste(f"x{newline}{long_line}"))
        await pilot.pause()
        assert area.virtual_size.width >= len(long_line), area.virtual_size


async def test_a_paste_into_the_focused_id_box_is_inserted_once() -> None:
    """A paste with the ID box focused went in twice: Textual's TextArea inserts it and
    lets the event bubble, and the screen's catch-all for pastes elsewhere added it again
    ("3 model ID(s) · 3 duplicate(s) removed" for 3 distinct IDs)."""
    app = scene_app(with_jobs=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        entry = app.main.query_one(IdEntry)
        entry.text_area.focus()
        await pilot.pause()
        entry.text_area.post_message(events.Paste("cm-one\ncm-two"))
        await pilot.pause()
        assert entry.text_area.text == "cm-one\ncm-two"


async def test_actions_on_final_jobs_say_why_nothing_happened(simenv: SimulatorThread) -> None:
    """Bug 16: `r` said "Re-checking 0 job(s)", `x` was silent, `c` said "ID(s)"."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        table = app.main.query_one(JobsTable)
        table.focus()
        await pilot.press("r")
        assert any("No job selected" in m for m in messages(app))
        await undeploy_in_ui(app, pilot, simenv.model_ids[:2])
        # The keys act on the rows the table shows, which follow the model on its next rebuild.
        await until(pilot, lambda: all_final(app) and len(app.main.model.visible) == 2)
        assert {j.state for j in app.main.model.jobs.values()} == {JobState.SUCCESS}
        table.focus()
        await pilot.press("r")
        assert any(m.startswith("Nothing to re-check: 1 SUCCESS") for m in messages(app))
        assert not any("Re-checking 0" in m for m in messages(app))
        await pilot.press("x")
        assert any(m.startswith("Nothing to stop: 1 SUCCESS") for m in messages(app))
        await pilot.press("a", "c")
        # Sent, not "copied": a break-it run in tmux read 'Copied' for a clipboard that the
        # terminal never got (OSC 52 not forwarded); the message says so and names e.
        sent = "Sent 2 dock status ID(s) to the terminal's clipboard (OSC 52: tmux and some "
        assert any(m.startswith(sent) and "e exports them" in m for m in messages(app))


async def test_ctrl_c_says_how_to_quit_without_raw_markup() -> None:
    """Bug 13: ctrl+c showed `Press [b]ctrl+q[/b] to quit the app`."""
    app = scene_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.main.query_one("#jobs").focus()
        await pilot.press("ctrl+c")
        await pilot.pause()
        shown = messages(app)
        assert shown and "ctrl+q" in shown[-1]
        assert not any("[b]" in m for m in shown)


MODALS = ["confirm", "confirm-protected", "quit", "picker", "editor", "key", "path", "help"]


async def _open(app: KoreApp, pilot: object, which: str) -> None:
    from kore_tui.tools.scenes import demo_model_ids

    assert app.config is not None
    envs = app.config.environments
    if which.startswith("confirm"):
        env = envs["prod"] if which == "confirm-protected" else envs["dev"]
        await app.push_screen(ConfirmUndeploy(env, demo_model_ids()))
    elif which == "quit":
        question = quit_question({"prod": 24}, {}, "prod")
        assert question is not None
        await app.push_screen(YesNo(question, yes="Quit"))
    elif which == "picker":
        await app.push_screen(EnvironmentPicker(envs, "prod", "prod"))
    elif which == "editor":
        await app.push_screen(EnvironmentEditor(envs["prod"], True))
    elif which == "key":
        await app.push_screen(KeyPrompt("prod", envs["prod"].host, "no key found for prod"))
    elif which == "path":
        await app.push_screen(PathPrompt("Load IDs from file", "path/to/ids.csv"))
    else:
        await app.push_screen(HelpScreen(console_keys()))


@pytest.mark.parametrize("which", MODALS)
async def test_every_modal_fits_80x24(which: str) -> None:
    """Bug 7: dialogs were ~96 columns wide: warnings, buttons and flags were cut."""
    app = scene_app("dev", with_jobs=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await _open(app, pilot, which)
        await pilot.pause()
        screen = app.screen
        for button in screen.query(Button):
            assert fully_visible(app, button), f"{which}: button {button.label} is cut"
        for warning in screen.query(".warning"):
            assert fully_visible(app, warning), f"{which}: the warning is cut"
        # Every field and box without scrolling: at 100x30 the environment editor had
        # Read-only and Default below the fold, at 80x24 every box (3-row fields).
        for field in [*screen.query(Checkbox), *screen.query(Input)]:
            assert fully_visible(app, field), f"{which}: {field.id} is below the fold"
        for text in screen.query(Static).filter(".dialog > Static"):
            if text.parent is not None and text.parent.has_class("tall"):
                continue  # help and detail scroll by design; their frame is checked above
            assert fully_visible(app, text), f"{which}: {text.id or 'text'} is cut"
        if which == "quit":
            shown = screen_lines(app)
            assert any("Quit anyway?" in line for line in shown), "the question's end is cut"
        if which == "picker":
            svg = app.export_screenshot()
            assert "PROTECTED" in svg and "READ-ONLY" in svg


async def test_history_reads_the_journal_this_console_writes(
    simenv: SimulatorThread, tmp_path: object
) -> None:
    """Bug 4: F3 in --demo read the default journal (always empty) instead of the demo's."""
    from pathlib import Path

    from kore_tui.core.config import load_config
    from kore_tui.core.secret import Secret
    from kore_tui.tui.screens.history import HistoryScreen
    from tests.conftest import SENTINEL_KEY

    config = load_config()
    journal = Path(str(tmp_path)) / "demo-journal.sqlite3"
    app = KoreApp(
        config=None, env=config.environments["sim"], key=Secret(SENTINEL_KEY), journal_path=journal
    )
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await undeploy_in_ui(app, pilot, simenv.model_ids[:2])
        await until(pilot, lambda: all_final(app) and len(app.main.model.jobs) == 2)
        await pilot.press("f3")
        assert isinstance(app.screen, HistoryScreen)
        await until(
            pilot, lambda: isinstance(app.screen, HistoryScreen) and len(app.screen.jobs) == 2
        )


async def test_help_is_derived_from_the_bindings_and_fits_80_columns() -> None:
    """One fact, one place; bug 15: help was clipped at 80 columns with no hint to close."""

    app = scene_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        body = screen.query_one(".dialog")
        assert "Esc" in str(body.border_title)
        assert body.region.width <= 80
        help_static = screen.query_one("#help", Static)
        lines = help_static.render_lines(help_static.size.region)
        shown = " ".join(" ".join("".join(seg.text for seg in line).split()) for line in lines)
        for row in console_keys():
            assert row.text.split(":")[0] in shown, f"help misses {row.key}"
        assert help_static.size.width <= 80
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_q_quits_and_escape_clears_the_filter_first() -> None:
    app = scene_app(with_jobs=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.main._drain()
        table = app.main.query_one(JobsTable)
        table.rebuild()
        table.focus()
        await pilot.press("a", "slash")
        await pilot.press(*"409")
        await until(pilot, lambda: len(app.main.model.visible) == 1)
        await pilot.press("escape")
        assert app.main.model.text_filter == "" and len(app.main.model.visible) == 16
        assert app.focused is table and len(app.main.model.marks) == 16
        await pilot.press("escape")
        assert app.main.model.marks == set()
        await pilot.press("q")  # the scene's jobs are scripted, no host tracking them
        await pilot.pause()
        assert isinstance(app.screen, YesNo) or not app.is_running


async def test_empty_views_say_why_and_what_to_press() -> None:
    app = scene_app(with_jobs=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.main.query_one(JobsTable)
        line = "".join(seg.text for seg in table.render_line(1))
        assert "No jobs yet" in line and "ctrl+u" in line
        assert app.host is not None and app.env is not None
        app.host.store.put_many(scripted_jobs(app.env))
        app.main._drain()
        table.focus()
        await pilot.press("slash", *"xyz")
        await until(
            pilot,
            lambda: (
                "nothing matches 'xyz' — esc clears the filter"
                in "".join(seg.text for seg in table.render_line(1))
            ),
        )


async def test_batch_end_summary_and_retry_confirmation_counts(simenv: SimulatorThread) -> None:
    """Habits: a one-line outcome when a batch ends, with keys for the failed ones; the
    retry confirmation counts by state and warns that UNKNOWN may have succeeded."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        admin_sync(simenv.url, "/_sim/force", "POST", json={"responses": [{"status": 500}]})
        await undeploy_in_ui(app, pilot, simenv.model_ids[:3])
        await until(pilot, lambda: all_final(app) and len(app.main.model.jobs) == 3)
        batch = app.main.query_one("#batch", Static)
        await until(pilot, lambda: batch.display)
        text = str(batch.render())
        assert "Batch done: 2 SUCCESS, 1 UNKNOWN  F" in text, "no zero counts"
        assert "F then R: retry · C copy IDs" in text
        app.main.query_one(JobsTable).focus()
        await pilot.press("C")
        said = "Sent the IDs of 1 model(s) that did not succeed to the terminal's clipboard"
        assert any(m.startswith(said) for m in messages(app)), messages(app)
        (unknown,) = [j for j in app.main.model.jobs.values() if j.state is JobState.UNKNOWN]
        assert app.clipboard == unknown.model_id
        await pilot.press("F")
        assert app.main.model.marks == {unknown.key}
        await pilot.press("R")
        modal = app.screen
        assert isinstance(modal, ConfirmUndeploy)
        note = str(modal.query_one("#note", Static).render())
        assert "Retrying 1 UNKNOWN" in note and "may already have succeeded" in note
        assert "a deploy" not in note, "an undeploy retry names no deploy"
        await pilot.click("#confirm")
        # The marks were for this retry: kept, a later b or u acted on them too, rows the
        # problems view (f) had hidden included.
        await until(pilot, lambda: not app.main.model.marks)
        assert "Marks cleared" in messages(app)[-1]
        await until(pilot, lambda: app.main.model.jobs[unknown.key].state is JobState.SUCCESS)
        # The retry's own summary, not the panel's ("Batch done: 3 SUCCESS" for 1 job).
        await until(pilot, lambda: "Batch done: 1 SUCCESS" in str(batch.render()))


async def test_a_batch_that_ends_between_two_drains_still_gets_its_summary(
    simenv: SimulatorThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch line came only after a drain had seen a job live. On a loaded machine
    (or with jobs quicker than the 0.1 s drain) every job of a batch was final by the
    first drain that saw it, and the batch ended without its summary (seen as a flaky
    test under a busy loop: the line never came)."""
    from kore_tui.tui.screens.panel import PanelScreen

    held = [False]
    drain = PanelScreen._drain

    def late_drain(self: PanelScreen) -> None:
        if not held[0]:
            drain(self)

    monkeypatch.setattr(PanelScreen, "_drain", late_drain)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        host = app.host
        assert host is not None
        held[0] = True  # from here on, the panel sees nothing until every job has ended
        await paste(app, "\n".join(simenv.model_ids[:3]))
        await pilot.press("ctrl+u")
        await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))
        await pilot.click("#confirm")
        snapshot = host.store.snapshot
        await until(pilot, lambda: len(snapshot()) == 3 and all(j.is_final for j in snapshot()))
        held[0] = False
        batch = app.main.query_one("#batch", Static)
        await until(pilot, lambda: batch.display)
        assert "Batch done: 3 SUCCESS" in str(batch.render())


async def test_the_batch_line_survives_the_all_environments_view_and_back(
    simenv: SimulatorThread,
) -> None:
    """E, then E again: the same environment is in the banner, and its "Batch done" line
    had gone (the view change reset it like an environment switch)."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await undeploy_in_ui(app, pilot, simenv.model_ids[:2])
        batch = app.main.query_one("#batch", Static)
        await until(pilot, lambda: batch.display and "Batch done: 2 SUCCESS" in str(batch.render()))
        app.main.query_one(JobsTable).focus()
        await pilot.press("E")
        assert app.main._all is not None
        await pilot.press("E")
        assert app.main._all is None
        assert batch.display and "Batch done: 2 SUCCESS" in str(batch.render())


async def test_history_filters_and_refreshes_while_open(simenv: SimulatorThread) -> None:
    from kore_tui.tui.screens.history import HistoryScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await undeploy_in_ui(app, pilot, [simenv.model_ids[0]])
        await until(pilot, lambda: all_final(app) and len(app.main.model.jobs) == 1)
        await pilot.press("f3")
        history = app.screen
        assert isinstance(history, HistoryScreen)
        await until(pilot, lambda: len(history.jobs) == 1)
        assert app.host is not None
        app.host.call_wait(lambda e: e.undeploy(simenv.model_ids[1:3]))
        await until(pilot, lambda: len(history.jobs) == 3, timeout=10)  # no key pressed
        await pilot.press("slash")
        history.query_one("#history-filter", Input).value = simenv.model_ids[2][:12]
        await until(pilot, lambda: [j.model_id for j in history.jobs] == [simenv.model_ids[2]])
        await pilot.press("escape")
        assert len(history.jobs) == 3 and app.screen is history
        await pilot.press("escape")
        assert app.screen is not history


async def test_history_title_says_when_it_is_empty_and_follows_the_scope(
    simenv: SimulatorThread,
) -> None:
    """An empty history had a blank title (the first load, like a t with the same jobs,
    changed no row, so the title was never written): no "no jobs", and t showed nothing."""
    from kore_tui.tui.screens.history import HistoryScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await pilot.press("f3")
        history = app.screen
        assert isinstance(history, HistoryScreen)

        def title() -> str:
            return str(history.query_one("#title", Static).render())

        await until(pilot, lambda: "no jobs" in title())
        assert "environment sim" in title()
        await pilot.press("t")
        await until(pilot, lambda: "all environments" in title())


@pytest.mark.parametrize("size", [(80, 24), (250, 70)])
async def test_history_shows_why_a_job_failed_at_every_width(
    simenv: SimulatorThread, size: tuple[int, int]
) -> None:
    """History had fixed widths (132 cells): at 80 columns its Error column was off screen,
    at 250 it stopped at 40 cells next to 100 free ones."""
    from kore_tui.tui.screens.history import HistoryScreen

    app = make_app()
    unknown = "ds-00000000-0000-4000-8000-000000000001"
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: app.host is not None)
        await paste(app, unknown)
        await pilot.press("ctrl+w")
        await until(pilot, lambda: all_final(app))
        (job,) = app.main.model.jobs.values()
        assert job.error and len(job.error) > 40, job.error
        await pilot.press("f3")
        history = app.screen
        assert isinstance(history, HistoryScreen)
        await until(pilot, lambda: len(history.jobs) == 1)
        await pilot.pause()
        row = next(line for line in screen_lines(app) if "ERROR" in line and "ds-0000" in line)
        assert len(row.rstrip()) <= size[0]
        shown = job.error[:90] if size[0] >= 200 else job.error[:18]  # was 40 at any width
        assert shown in row, row
        # Cut by its column, with the sign, not by the screen's edge (20 characters and no
        # "…" showed at 80, the table 2 columns wider than the screen).
        if size[0] < 200:
            assert "…" in row.split(shown, 1)[1][:3], row
        title = str(history.query_one("#title", Static).render())
        assert len(title) <= size[0] and "1 most recent job(s) in environment sim" in title
        # What history is for comes first in its footer: at 80 columns u and Enter were
        # left out, after "esc Back / clear filter  q Back".
        footer = screen_lines(app)[-1]
        assert all(key in footer for key in ("⏎ Detail", "u Undo", "/ Filter", "esc Back")), footer


async def test_history_cursor_stays_on_its_job_when_new_jobs_arrive(
    simenv: SimulatorThread,
) -> None:
    """The cursor kept its row number across a refresh: new jobs come on top, so u (undo,
    a redeploy) acted on the job that had moved under it, not the one the operator chose.
    Home and End move the cursor to the first and the last job."""
    from kore_tui.tui.screens.history import HistoryScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        assert app.host is not None
        app.host.call_wait(lambda e: e.undeploy(simenv.model_ids[:2]))
        await until(pilot, lambda: all_final(app) and len(app.main.model.jobs) == 2)
        await pilot.press("f3")
        history = app.screen
        assert isinstance(history, HistoryScreen)
        await until(pilot, lambda: len(history.jobs) == 2)
        await pilot.press("down")
        table = history.query_one("#history")
        chosen = history.jobs[table.cursor_row].key  # type: ignore[attr-defined]
        app.host.call_wait(lambda e: e.undeploy(simenv.model_ids[2:4]))
        await until(pilot, lambda: len(history.jobs) == 4, timeout=10)
        assert history.jobs[table.cursor_row].key == chosen  # type: ignore[attr-defined]
        # End and Home move the cursor, as in the jobs panel (they scrolled sideways, and
        # u then acted on the row the cursor had kept, off screen).
        await pilot.press("end")
        assert table.cursor_row == 3  # type: ignore[attr-defined]
        await pilot.press("home")
        assert table.cursor_row == 0  # type: ignore[attr-defined]


async def test_a_re_check_while_paused_says_nothing_is_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """p, then r: "Re-checking 1 job(s) now." while no request went out."""
    from tests.conftest import SENTINEL_KEY, sim_config

    monkeypatch.setenv("SIM_KEY", SENTINEL_KEY)
    with SimulatorThread(sim_config(models=1, job_seconds=(30.0, 30.0))) as sim:
        write_config('default = "sim"\n' + env_block("sim", sim.url))
        app = make_app()
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.host is not None)
            await undeploy_in_ui(app, pilot, [sim.model_ids[0]])
            await until(pilot, lambda: len(app.main.model.jobs) == 1)
            table = app.main.query_one(JobsTable)
            await until(pilot, lambda: table.cursor_key is not None)
            table.focus()
            await pilot.press("p")
            await until(pilot, lambda: app.host is not None and app.host.store.health.user_paused)
            await pilot.press("r")
            await until(pilot, lambda: any("queued: paused" in m for m in messages(app)))
            assert not any(m.startswith("Re-checking") for m in messages(app))


async def test_keys_of_a_burst_reach_the_form_in_the_order_they_were_typed() -> None:
    """An operator's run (tmux, a laggy link): "1 0 BackSpace 2" left 10 in a field, and
    "3.5 Tab 9999 Tab 2" put 3.599992 in one field: Textual gives printable keys to the
    field at once but runs its other keys (BackSpace, Enter, the arrows) and Tab as
    bindings, once the key has bubbled up to the app, after the keys typed next."""
    from textual import events

    from kore_tui.tui.screens.environments import EnvironmentEditor

    app = scene_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        editor = EnvironmentEditor()
        await app.push_screen(editor)
        await pilot.pause()
        assert app.focused is editor.query_one("#name", Input)
        burst = ["d", "e", "x", "backspace", "v", "tab", "h", "t", "t", "left", "backspace"]
        for key in burst:
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await until(pilot, lambda: editor.query_one("#host", Input).value != "", 5)
        await pilot.pause()
        assert editor.query_one("#name", Input).value == "dev"
        assert editor.query_one("#host", Input).value == "ht"
        assert app.focused is editor.query_one("#host", Input)


async def test_a_form_closed_empty_is_not_said_to_hold_what_was_entered() -> None:
    """An operator's run: Esc on an empty deploy form, then the action again: "Filled in as
    entered last for these models" over nine empty fields."""
    from kore_tui.tui.launch import demo_profile
    from kore_tui.tui.screens.deploy_form import DeployForm, form_values

    app = scene_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        empty = dict.fromkeys(form_values(demo_profile()), "")
        form = DeployForm("dev", ["cm-1"], "no parameters", {}, entered=empty)
        await app.push_screen(form)
        await pilot.pause()
        assert "as entered last" not in str(form.query_one("#title", Static).render())


async def test_keys_typed_while_a_dialog_mounts_reach_the_field_it_opens_on() -> None:
    """F2, n, "qa1" in one burst left the new environment's name empty: the keys came while
    the editor was still mounting, with no focus, and Textual gave them to the dialog
    screen itself, which dropped them."""
    from textual import events

    from kore_tui.tui.screens.environments import EnvironmentEditor

    app = scene_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        editor = EnvironmentEditor()
        app.push_screen(editor)  # not awaited: the keys come while it mounts
        for key in ["q", "a", "1", "tab", "h"]:
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await until(pilot, lambda: editor.is_mounted and app.focused is not None, 5)
        await until(pilot, lambda: editor.query_one("#host", Input).value == "h", 5)
        assert editor.query_one("#name", Input).value == "qa1"


async def test_keys_typed_before_a_slow_dialog_mount_still_reach_its_field() -> None:
    """The same burst on a loaded machine (a full suite on 2 cores): the editor took over
    0.5 s to mount, the wait for a focus ran out before the editor had placed its own, and
    "qa1", Tab, "h" went to the dialog screen, which dropped them."""
    import asyncio

    class SlowEditor(EnvironmentEditor):
        @on(events.Mount)
        async def _slowly(self) -> None:
            await asyncio.sleep(0.7)  # the mount outlasts the wait, as on a busy machine

    app = scene_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        editor = SlowEditor()
        app.push_screen(editor)  # not awaited: the keys come while it mounts
        for key in ["q", "a", "1", "tab", "h"]:
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await until(pilot, lambda: editor.is_mounted and app.focused is not None, 5)
        await until(pilot, lambda: editor.query_one("#host", Input).value == "h", 5)
        assert editor.query_one("#name", Input).value == "qa1"


async def test_the_deploy_form_s_buttons_stay_on_screen_under_its_errors() -> None:
    """A break-it run at 80x24: submitting the form with wrong values listed one error per
    field, and the Cancel and 'Use these' buttons went below the screen."""
    from kore_tui.tui.screens.deploy_form import DeployForm

    app = scene_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        form = DeployForm("dev", ["cm-1"], "no parameters", {})
        await app.push_screen(form)
        await pilot.pause()
        form.submit()  # every field empty: an error for each
        await pilot.pause()
        why = str(form.query_one("#why", Static).render())
        assert why.startswith("Nothing was sent: ") and why.count("\n") >= 4, why
        for button in form.query(Button):
            region = button.region
            assert region.height > 0 and region.bottom <= 24, (button.id, region)


async def test_the_palette_s_screenshot_is_saved_without_a_downloads_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A break-it run (a fresh HOME): 'Screenshot' in the palette said only 'Failed to save
    screenshot'; Textual saves to a Downloads folder there was none of."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DOWNLOAD_DIR", str(tmp_path / "home" / "Downloads"))
    monkeypatch.chdir(tmp_path)
    app = scene_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.action_screenshot()
        await until(pilot, lambda: any("creenshot" in m for m in messages(app)), 5)
        assert any("Saved screenshot to" in m for m in messages(app)), messages(app)
        assert list(tmp_path.glob("*.svg")), "saved in the folder the console started from"
        (tmp_path / "locked").mkdir(mode=0o500)
        app.deliver_screenshot(path=str(tmp_path / "locked" / "missing"))
        await until(pilot, lambda: any("Screenshot not saved: " in m for m in messages(app)), 5)
        assert not any(m == "Failed to save screenshot" for m in messages(app))


async def test_a_history_filter_says_it_searched_only_the_newest_jobs(
    simenv: SimulatorThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A break-it run: after a 1,290-model batch, F3 then '/' and a model's ID: 'no jobs
    match the filter', while the journal held 4 jobs of it, older than the 500 shown."""
    from kore_tui.tui.screens.history import HistoryScreen

    monkeypatch.setattr(HistoryScreen, "NEWEST", 2)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await undeploy_in_ui(app, pilot, simenv.model_ids[:3])
        await until(pilot, lambda: all_final(app) and len(app.main.model.jobs) == 3)
        await pilot.press("f3")
        history = app.screen
        assert isinstance(history, HistoryScreen) and history.limit == 2
        await until(pilot, lambda: len(history.jobs) == 2)
        shown = {j.model_id for j in history.jobs}
        oldest = next(m for m in simenv.model_ids[:3] if m not in shown)
        await pilot.press("slash")
        history.query_one("#history-filter", Input).value = oldest
        title = history.query_one("#title", Static)
        said = "no jobs match the filter among the 2 most recent"
        await until(pilot, lambda: said in str(title.render()))
        assert "kore-tui history --env sim --limit" in str(title.render()), str(title.render())


async def test_ctrl_t_drops_the_invalid_tokens_of_a_big_paste_and_keeps_every_id() -> None:
    """A break-it run: 2,000 pasted lines with 46 mangled tokens; ctrl+u refused ('fix or
    remove them first'), the feedback showed two of the 46, and nothing removed them."""
    from kore_tui.tui.widgets.id_entry import IdEntry

    good = [f"cm-{i:08x}-0000-4000-8000-000000000000" for i in range(3)]
    app = scene_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        entry = app.main.query_one(IdEntry)
        dock = "ds-00000001-0000-4000-8000-000000000000"  # watched: kept too
        entry.set_text(f"{good[0]}\ncm-bad53\nname,{good[1]}\ncm-bad54 {good[2]} {dock}\n")
        await entry.current()
        await pilot.press("ctrl+u")
        refused = "2 invalid ID-like token(s): fix them, or ctrl+t drops them"
        await until(pilot, lambda: any(refused in m for m in messages(app)), 5)
        entry.text_area.focus()
        await pilot.press("ctrl+t")
        await until(pilot, lambda: any(m.startswith("Dropped 2 invalid") for m in messages(app)))
        parsed = await entry.current()
        assert parsed.resource_ids == good and not parsed.invalid, parsed
        assert parsed.dock_status_ids == [dock]
        assert "cm-bad53" not in entry.text_area.text
        await pilot.press("ctrl+t")
        await until(pilot, lambda: "No invalid ID-like tokens in the ID box." in messages(app))


@pytest.mark.parametrize("width", [80, 120])
async def test_the_id_box_title_names_every_key_whole_at_80_columns(width: int) -> None:
    """A break-it run at 80x24: the ID box's title ended 'ctrl+w watch · ctr…' (load and
    clear cut away). Where 'ctrl+' does not fit, the title says '^' as the footer does."""
    from kore_tui.tui.widgets.id_entry import IdEntry

    app = scene_app()
    async with app.run_test(size=(width, 24)) as pilot:
        await pilot.pause()
        entry = app.main.query_one(IdEntry)
        title = str(entry.border_title)
        assert len(title) <= entry.size.width - 4, (len(title), title)
        for action in ("undeploy", "deploy", "bounce", "watch", "load", "clear"):
            assert f" {action}" in title, title
        assert ("ctrl+u undeploy" in title) == (width >= 120), title
        await pilot.resize_terminal(120, 24)
        await until(pilot, lambda: "ctrl+u undeploy" in str(entry.border_title))


async def test_the_empty_panel_s_hint_is_whole_at_80_columns() -> None:
    """The same run: the empty jobs panel's hint ended 'ctrl+d deploys, ct…' at 80x24."""
    from kore_tui.tui.widgets.jobs_table import JobsTable

    app = scene_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.main.query_one(JobsTable)
        line = "".join(segment.text for segment in table.render_line(1)).rstrip()
        assert line.endswith("^w watches ds- IDs)") and "…" not in line, line
