"""The console, driven with Pilot against the simulator over real HTTP."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Button, Input, OptionList, Static

from kore_tui.core.job import JobState
from kore_tui.simulator import SimulatorThread
from kore_tui.tui.app import KoreApp
from kore_tui.tui.screens.confirm import ConfirmUndeploy
from kore_tui.tui.screens.detail import JobDetail
from kore_tui.tui.screens.environments import EnvironmentPicker
from kore_tui.tui.screens.history import HistoryScreen
from kore_tui.tui.widgets.id_entry import IdEntry
from kore_tui.tui.widgets.jobs_table import JobsTable
from tests.helpers import admin_sync
from tests.tui.conftest import env_block, make_app, until, write_config

SIZE = (120, 36)


def screen_text(app: KoreApp) -> str:
    table = app.main.query_one(JobsTable)
    lines = [table.render_line(y) for y in range(table.size.height)]
    return "\n".join("".join(seg.text for seg in strip) for strip in lines)


def all_final(app: KoreApp) -> bool:
    jobs = app.main.model.jobs.values()
    return bool(jobs) and all(j.is_final for j in jobs)


async def paste(app: KoreApp, text: str) -> None:
    entry = app.main.query_one(IdEntry)
    entry.set_text(text)
    await entry.current()  # parsing runs off the UI loop; wait for it like an operator would


async def undeploy_in_ui(app: KoreApp, pilot: Pilot[Any], ids: list[str]) -> None:
    """Paste, ctrl+u, click Undeploy in the confirmation: what an operator does."""
    await paste(app, "\n".join(ids))
    await pilot.press("ctrl+u")
    await pilot.click("#confirm")


async def test_paste_feedback_confirm_cancel_then_undeploy(simenv: SimulatorThread) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        junk = (
            f"modelId,name\n{simenv.model_ids[0]},a\n{simenv.model_ids[1]},b\n"
            f"{simenv.model_ids[1]},dup\ncm-20xxxxxf-0xx9-5xx0-8xx1-81xxxxxxxx80,doc\n"
        )
        await paste(app, junk)
        feedback = str(app.main.query_one("#feedback", Static).render())
        assert "2 model ID(s)" in feedback and "1 duplicate(s) removed" in feedback
        assert "not hex" in feedback
        await pilot.press("ctrl+u")
        assert not isinstance(app.screen, ConfirmUndeploy), "invalid tokens block undeploy"
        await paste(app, "\n".join(simenv.model_ids[:3]))
        await pilot.press("ctrl+u")
        assert isinstance(app.screen, ConfirmUndeploy)
        assert app.focused is not None and app.focused.id == "cancel"
        await pilot.press("enter")
        assert not isinstance(app.screen, ConfirmUndeploy)
        await pilot.pause(0.3)  # deliberate: time for a POST that must not happen
        assert admin_sync(simenv.url, "/_sim/counters")["undeployReceived"] == {}
        await pilot.press("ctrl+u")
        await pilot.click("#confirm")
        await until(pilot, lambda: all_final(app))
        assert {j.state for j in app.main.model.jobs.values()} == {JobState.SUCCESS}
        # The table shows the model on its next (throttled) rebuild, not at once.
        await until(pilot, lambda: "SUCCESS" in screen_text(app))
        counters = admin_sync(simenv.url, "/_sim/counters")
        assert set(counters["undeployAccepted"].values()) == {1}


async def test_protected_environment_needs_its_name_typed(simenv: SimulatorThread) -> None:
    write_config('default = "prod"\n' + env_block("prod", simenv.url, "protected = true"))
    app = make_app("prod")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await paste(app, simenv.model_ids[0])
        await pilot.press("ctrl+u")
        modal = app.screen
        assert isinstance(modal, ConfirmUndeploy)
        confirm = modal.query_one("#confirm", Button)
        assert confirm.disabled
        modal.query_one("#typed", Input).value = "pro"
        await pilot.pause()
        assert confirm.disabled
        modal.query_one("#typed", Input).value = "prod"
        await pilot.pause()
        assert not confirm.disabled
        await pilot.click("#confirm")
        await until(pilot, lambda: all_final(app))


async def test_read_only_blocks_undeploy_in_ui_and_engine(simenv: SimulatorThread) -> None:
    app = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await paste(app, simenv.model_ids[0])
        await pilot.press("ctrl+u")
        await pilot.pause(0.2)  # deliberate: time for a confirmation that must not open
        assert not isinstance(app.screen, ConfirmUndeploy)
        from kore_tui.core.engine import ReadOnlyError

        assert app.host is not None
        try:
            app.host.call_wait(lambda e: e.undeploy([simenv.model_ids[0]]))
        except ReadOnlyError:
            pass
        else:
            raise AssertionError("the engine accepted an undeploy in read-only mode")
        assert admin_sync(simenv.url, "/_sim/counters")["undeployReceived"] == {}
        banner = str(app.main.query_one("#banner", Static).render())
        assert "READ-ONLY" in banner


async def test_pick_environment_and_marks_clear_on_switch(simenv: SimulatorThread) -> None:
    write_config(
        'default = "sim"\n'
        + env_block("sim", simenv.url)
        + env_block("other", simenv.url, 'colour = "green"')
    )
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await undeploy_in_ui(app, pilot, simenv.model_ids[:2])
        # The keys act on the rows the table shows, which follow the model on its next rebuild.
        await until(pilot, lambda: len(app.main.model.visible) == 2)
        app.main.query_one(JobsTable).focus()
        await pilot.press("a")
        assert len(app.main.model.marks) == 2
        await pilot.press("f2")
        assert isinstance(app.screen, EnvironmentPicker)
        options = app.screen.query_one(OptionList)
        options.highlighted = 0  # sorted: "other" first
        await pilot.press("enter")
        await until(pilot, lambda: app.host is not None and app.host.env.name == "other")
        assert app.main.model.marks == set() and app.main.model.jobs == {}
        banner = str(app.main.query_one("#banner", Static).render())
        assert "other" in banner


async def test_watch_filter_sort_select_detail_export(
    simenv: SimulatorThread, tmp_path: Path
) -> None:
    first = make_app()
    async with first.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: first.host is not None)
        await undeploy_in_ui(first, pilot, simenv.model_ids[:4])
        await until(
            pilot,
            lambda: (
                len(first.main.model.jobs) == 4
                and all(j.dock_status_id for j in first.main.model.jobs.values())
            ),
        )
        ds_ids = [j.dock_status_id or "" for j in first.main.model.jobs.values()]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await paste(app, "\n".join(ds_ids))
        await pilot.press("ctrl+w")
        await until(pilot, lambda: len(app.main.model.jobs) >= 4 and all_final(app))
        table = app.main.query_one(JobsTable)
        table.focus()
        await pilot.press("slash")
        filter_box = app.main.query_one("#filter", Input)
        filter_box.value = ds_ids[0][:12]
        await until(pilot, lambda: len(app.main.model.visible) == 1)
        await pilot.press("enter")
        await pilot.press("space")
        assert len(app.main.model.marks) == 1
        filter_box.value = "no-such-thing"
        await until(
            pilot,
            lambda: "hidden by the filter" in str(app.main.query_one("#summary", Static).render()),
        )
        filter_box.value = ""
        await until(pilot, lambda: len(app.main.model.visible) == len(app.main.model.jobs))
        table.focus()
        await pilot.pause()
        await pilot.press("s")
        assert app.main.model.sort == "status"
        await pilot.press("f")
        assert app.main.model.status_filter == "active"
        await pilot.press("f", "f", "f")
        assert app.main.model.status_filter == "all"
        await pilot.press("escape", "a")
        target = tmp_path / "out.csv"
        await pilot.press("e")
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await until(pilot, lambda: target.exists())
        rows = list(csv.DictReader(target.open()))
        assert len(rows) == len(app.main.model.jobs)
        assert {r["dockStatusId"] for r in rows} >= set(ds_ids)
        assert all(r["status"] == "SUCCESS" for r in rows)
        json_target = tmp_path / "out.json"
        await pilot.press("e")
        app.screen.query_one(Input).value = str(json_target)
        await pilot.press("enter")
        await until(pilot, lambda: json_target.exists())
        assert len(json.loads(json_target.read_text())["jobs"]) == len(rows)
        await pilot.press("escape", "home", "enter")
        assert isinstance(app.screen, JobDetail)
        detail = str(app.screen.query_one("#detail", Static).render())
        assert "Timeline" in detail and '"status": "SUCCESS"' in detail
        await pilot.press("escape")


async def test_retry_unknown_after_a_server_error(simenv: SimulatorThread) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        admin_sync(simenv.url, "/_sim/force", "POST", json={"responses": [{"status": 500}]})
        await undeploy_in_ui(app, pilot, [simenv.model_ids[5]])
        await until(pilot, lambda: all_final(app))
        (job,) = app.main.model.jobs.values()
        assert job.state is JobState.UNKNOWN
        # The table shows the model on its next (throttled) rebuild, not at once.
        await until(pilot, lambda: "HTTP 500" in screen_text(app))
        assert "may have reached the server" in (job.error or "")
        app.main.query_one(JobsTable).focus()
        await pilot.press("R")
        assert isinstance(app.screen, ConfirmUndeploy)
        await pilot.click("#confirm")
        await until(
            pilot, lambda: next(iter(app.main.model.jobs.values())).state is JobState.SUCCESS
        )


async def test_history_and_resume_after_restart(simenv: SimulatorThread) -> None:
    slow = SimulatorThread(
        __import__("tests.conftest", fromlist=["sim_config"]).sim_config(
            models=3, job_seconds=(2.0, 2.0)
        )
    )
    slow.start()
    try:
        write_config('default = "slow"\n' + env_block("slow", slow.url))
        app = make_app("slow")
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.host is not None)
            await paste(app, "\n".join(slow.model_ids))
            await pilot.press("ctrl+u")
            await pilot.click("#confirm")
            await until(
                pilot,
                lambda: (
                    len(app.main.model.jobs) == 3
                    and all(j.state is JobState.IN_PROGRESS for j in app.main.model.jobs.values())
                ),
            )
        again = make_app("slow")
        async with again.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: again.host is not None)
            assert again.host is not None and len(again.host.resumed) == 3
            await until(pilot, lambda: all_final(again) and len(again.main.model.jobs) == 3)
            assert {j.state for j in again.main.model.jobs.values()} == {JobState.SUCCESS}
            await pilot.press("f3")
            assert isinstance(again.screen, HistoryScreen)
            await until(
                pilot,
                lambda: isinstance(again.screen, HistoryScreen) and len(again.screen.jobs) == 3,
            )
        counters = admin_sync(slow.url, "/_sim/counters")
        assert set(counters["undeployAccepted"].values()) == {1}
    finally:
        slow.stop()


HOSTILE = "[bold red]pwned[/] [link=https://evil.example]x[/link] \x1b[2J\x1b]52;c;ZXZpbA==\x07"


async def test_server_strings_render_literally_and_inert(simenv: SimulatorThread) -> None:
    app = make_app()
    async with app.run_test(size=(220, 36)) as pilot:
        await until(pilot, lambda: app.host is not None)
        admin_sync(
            simenv.url,
            "/_sim/force",
            "POST",
            json={"responses": [{"status": 409, "message": HOSTILE}]},
        )
        await undeploy_in_ui(app, pilot, [simenv.model_ids[6]])
        await until(pilot, lambda: all_final(app))
        # The table shows the model on its next (throttled) rebuild, not at once.
        await until(pilot, lambda: "[bold red]pwned[/]" in screen_text(app))
        text = screen_text(app)
        assert "[link=https://evil.example]x[/link]" in text
        assert "\x1b" not in text and "\x07" not in text
        app.main.query_one(JobsTable).focus()
        await pilot.press("enter")
        detail = app.screen.query_one("#detail", Static).render()
        plain = str(detail)
        assert "[bold red]pwned[/]" in plain and "\x1b" not in plain
        svg = app.export_screenshot()
        assert "\x1b" not in svg and "pwned" in svg
