"""`e`: an export creates a new file, or says why it wrote nothing (with the absolute path)
and asks again with the path as typed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Input, Label

from kore_tui.tools.scenes import Scene, build_app
from kore_tui.tui.app import KoreApp
from kore_tui.tui.screens.prompts import PathPrompt
from kore_tui.tui.widgets.jobs_table import JobsTable
from tests.tui.conftest import until


async def _noop(app: KoreApp, pilot: object) -> None:
    return None


def _said(app: KoreApp, text: str) -> Callable[[], bool]:
    return lambda: any(text in str(n.message) for n in app._notifications)


async def test_export_never_replaces_a_file_nor_makes_a_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # where a relative name lands
    kept = tmp_path / "important.json"
    kept.write_text("the operator's data\n")
    nodir = tmp_path / "nodir"
    app = build_app(Scene("export", "", "dev", _noop))
    async with app.run_test(size=(120, 36)) as pilot:
        # The scene's jobs reach the panel with the first 0.1 s drain, not by the first
        # pause: a loaded CI worker ran the count before it ("assert 0 > 0").
        await until(pilot, lambda: len(app.main.model.visible) > 0)
        app.main.query_one(JobsTable).focus()
        shown = len(app.main.model.visible)
        await pilot.press("e")
        for typed, expected in [
            (str(kept), f"{kept} exists: nothing was written; choose another name"),
            (str(nodir / "x.csv"), f"folder {nodir} does not exist: nothing was written"),
        ]:
            asked = app.screen
            assert isinstance(asked, PathPrompt)
            asked.query_one(Input).value = typed
            await pilot.press("enter")
            # Refused: the prompt is back with the path as typed and why, to fix it there.
            await until(
                pilot,
                lambda: app.screen is not asked and bool(app.screen.query("#refused")),
                timeout=5,
            )
            prompt = app.screen
            assert isinstance(prompt, PathPrompt)
            assert prompt.query_one(Input).value == typed
            assert expected in str(prompt.query_one("#refused", Label).render())
            assert not _said(app, expected)(), "said once, in the prompt, not in a toast too"
        app.screen.query_one(Input).value = "jobs.csv"
        await pilot.press("enter")
        await until(pilot, _said(app, f"Exported {shown} job(s) to {tmp_path / 'jobs.csv'}"))
        assert app.screen is app.main, "a written export asks nothing more"
        assert kept.read_text() == "the operator's data\n"
        assert not nodir.exists()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["important.json", "jobs.csv"]
        await until(
            pilot,
            lambda: not [w for w in app.workers if w.group == "files" and w.is_running],
            timeout=5,
        )
