"""A read-only environment looks read-only: its write actions are shown disabled.

Before, only the banner's READ-ONLY tag said so: the red Undeploy button, the ID box's
"ctrl+u undeploy" and the footer's Retry / Undo / Bounce looked live until pressed.
Their keys stay bound (pressed, each says why nothing happens); the buttons, the title,
the footers (the main screen's and the history's) and the empty panel's hint stop
offering them.
"""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Button, Static
from textual.widgets._footer import FooterKey

from kore_tui.simulator import SimulatorThread
from kore_tui.tui.app import KoreApp
from kore_tui.tui.screens.help import HelpScreen, help_renderable
from kore_tui.tui.screens.history import HistoryScreen
from kore_tui.tui.screens.main import console_keys
from kore_tui.tui.widgets.id_entry import IdEntry
from kore_tui.tui.widgets.jobs_table import JobsTable
from tests.tui.conftest import env_block, make_app, until, write_config
from tests.tui.test_console import paste
from tests.tui.test_console_fluent import messages
from tests.tui.test_multi_env import pick

SIZE = (120, 36)
WRITE_BUTTONS = {"undeploy", "deploy", "bounce"}
WRITE_KEYS = {"screen.retry", "screen.undo", "screen.bounce"}


def offered(app: KoreApp) -> dict[str, bool]:
    """What the main screen offers: each button and footer key, and whether it is live."""
    main = app.main
    shown = {f"button:{b.id}": not b.disabled for b in main.query_one(IdEntry).query(Button)}
    # A footer key shows itself disabled with a class (FooterKey does not use Widget.disabled).
    shown.update({f"key:{k.action}": not k.has_class("-disabled") for k in main.query(FooterKey)})
    return shown


async def look_at_jobs(app: KoreApp, pilot: Pilot[Any]) -> dict[str, bool]:
    app.main.query_one(JobsTable).focus()
    await until(pilot, lambda: any(k.startswith("key:screen.") for k in offered(app)))
    return offered(app)


async def history_offers_undo(app: KoreApp, pilot: Pilot[Any]) -> bool:
    """Open the history (f3), read whether its footer's Undo is live, and close it."""
    await pilot.press("f3")
    await until(pilot, lambda: isinstance(app.screen, HistoryScreen))
    await until(pilot, lambda: bool(app.screen.query(FooterKey)))
    (undo,) = [k for k in app.screen.query(FooterKey) if k.action == "undo"]
    live = not undo.has_class("-disabled")
    await pilot.press("q")
    await until(pilot, lambda: app.screen is app.main)
    return live


async def test_read_only_greys_out_the_writes_and_a_writable_environment_does_not(
    simenv: SimulatorThread,
) -> None:
    write_config(
        'default = "audit"\n'
        + env_block("audit", simenv.url, "read_only = true\n")
        + env_block("sim", simenv.url)
    )
    app = make_app("audit")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        entry = app.main.query_one(IdEntry)
        title = str(entry.border_title)
        assert title.startswith("IDs (read-only:") and "ctrl+w watch" in title, title
        assert "undeploy" not in title and "deploy" not in title, title
        table = app.main.query_one(JobsTable)
        assert "ctrl+u" not in table.empty_message() and "ctrl+w" in table.empty_message()
        hint = str(entry.query_one("#feedback", Static).render())
        assert hint.startswith("Read-only: paste dock status IDs") and "undeploy" not in hint
        shown = await look_at_jobs(app, pilot)
        for name in WRITE_BUTTONS:
            assert shown[f"button:{name}"] is False, name
        for name in ("watch", "load", "clear"):
            assert shown[f"button:{name}"] is True, name
        assert {k for k, live in shown.items() if k.startswith("key:") and not live} == {
            f"key:{action}" for action in WRITE_KEYS if f"key:{action}" in shown
        }
        assert any(f"key:{action}" in shown for action in WRITE_KEYS), shown
        assert shown["key:toggle_mark"] and shown["key:open_detail"]
        assert await history_offers_undo(app, pilot) is False

        # A watch still runs; its batch line offers no retry, and R says read-only first
        # (not "Retry applies to FAILED…", which sent the operator looking for a job).
        await paste(app, "ds-00000000-0000-4000-8000-00000000beef")
        await pilot.press("ctrl+w")
        batch = app.main.query_one("#batch", Static)
        await until(pilot, lambda: batch.display)
        line = str(batch.render())
        assert "Batch done" in line and "F mark failed · C copy" in line and "R retry" not in line
        table.focus()
        await pilot.press("R")
        await until(pilot, lambda: "audit is read-only: retry is disabled." in messages(app))
        await pilot.press("f3")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await pilot.press("u")
        refused = "audit is read-only: undo (redeploy) is disabled."
        await until(pilot, lambda: refused in messages(app))
        await pilot.press("q")
        await until(pilot, lambda: app.screen is app.main)

        await pick(app, pilot, "sim")  # a writable environment: everything is live again
        await until(pilot, lambda: app.host is not None and app.host.env.name == "sim")
        await until(pilot, lambda: not str(entry.border_title).startswith("IDs (read-only"))
        assert "ctrl+u undeploy" in str(entry.border_title)
        assert "ctrl+u" in table.empty_message()
        assert "to undeploy, deploy or bounce" in str(entry.query_one("#feedback", Static).render())
        shown = await look_at_jobs(app, pilot)
        assert all(shown.values()), shown
        assert await history_offers_undo(app, pilot) is True


def help_lines(renderable: object) -> list[str]:
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text().splitlines()


async def test_help_and_the_palette_say_which_keys_are_refused_in_read_only(
    simenv: SimulatorThread,
) -> None:
    """F1 and ctrl+p listed ctrl+u "Undeploy the pasted model and tool IDs" in a read-only
    console as if it would: only pressing it said otherwise."""
    app = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        lines = help_lines(app.screen.query_one("#help", Static).content)
        assert any("This console is read-only (opened with --read-only)" in line for line in lines)
        undeploy = next(line for line in lines if line.startswith("ctrl+u"))
        watch = next(line for line in lines if line.startswith("ctrl+w"))
        assert "refused here: read-only" in undeploy, undeploy
        assert "refused" not in watch, watch
        await pilot.press("escape")
        commands = {c.title.split(" (")[0]: c.help for c in app.get_system_commands(app.screen)}
        assert "refused here" in commands["Undeploy the pasted model and tool IDs"]
        assert "refused" not in commands["Watch the pasted dock status IDs"]
    writable = help_lines(help_renderable(console_keys()))
    assert not any("refused" in line or "read-only" in line for line in writable)
