"""ctrl+o: a FIFO, a directory or a huge file is refused with a reason; nothing hangs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from textual.widgets import Input

from kore_tui.tools.scenes import Scene, build_app
from kore_tui.tui.app import KoreApp
from kore_tui.tui.widgets.id_entry import IdEntry
from tests.tui.conftest import until


async def _noop(app: KoreApp, pilot: object) -> None:
    return None


def _messages(app: KoreApp) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


@pytest.mark.parametrize(
    "kind,expected", [("fifo", "FIFO"), ("dir", "directory"), ("huge", "limit is 16 MiB")]
)
async def test_load_refuses_what_is_not_a_small_regular_file(
    tmp_path: Path, kind: str, expected: str
) -> None:
    target = tmp_path / kind
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "dir":
        target.mkdir()
    else:
        with target.open("wb") as handle:
            handle.truncate(17 * 1024 * 1024)  # sparse: costs no disk
    app = build_app(Scene("load", "", "dev", _noop, with_jobs=False))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        app.main.query_one(IdEntry).set_text("cm-keep")
        await pilot.press("ctrl+o")
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await until(pilot, lambda: expected in _messages(app), timeout=5)
        assert "Not loaded" in _messages(app)
        assert app.main.query_one(IdEntry).text_area.text == "cm-keep", "nothing is lost"
        await until(
            pilot,
            lambda: not [w for w in app.workers if w.group == "files" and w.is_running],
            timeout=5,
        )
