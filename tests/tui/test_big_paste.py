"""A big paste: parsing stays off the UI loop, nothing is cut silently."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import pytest
from textual.document._document import Document

from kore_tui.core.ids import ParsedIds
from kore_tui.simulator import SimulatorThread
from kore_tui.tui.app import KoreApp
from kore_tui.tui.screens.confirm import ConfirmUndeploy
from kore_tui.tui.widgets import id_entry
from kore_tui.tui.widgets.id_entry import IdEntry
from tests.tui.conftest import make_app, until

SIZE = (120, 36)


def padded_ids(n: int) -> tuple[list[str], str]:
    """``n`` model IDs as a wide CSV: 200 bytes a line, so 25,000 lines pass 4 MiB."""
    ids = [f"cm-{uuid.UUID(int=i + 1, version=4)}" for i in range(n)]
    pad = "x" * 150
    return ids, "modelId,name\n" + "".join(f"{m},{pad}\n" for m in ids)


async def test_typing_into_a_big_box_parses_off_the_loop_once_per_pause(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parses: list[str] = []
    real = id_entry.parse_lines

    def spy(
        lines: list[str],
        cancelled: Callable[[], bool] = lambda: False,
    ) -> ParsedIds | None:
        parses.append(threading.current_thread().name)
        return real(lines, cancelled)

    monkeypatch.setattr(id_entry, "parse_lines", spy)
    measured: list[int] = []  # Textual's whole-document re-measure: O(lines) per call
    real_size = Document.get_size

    def size_spy(self: Document, tab_width: int) -> object:
        measured.append(len(self.lines))
        return real_size(self, tab_width)

    monkeypatch.setattr(Document, "get_size", size_spy)
    app = KoreApp(config=None, env=None, connect_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        entry = app.main.query_one(IdEntry)
        _, text = padded_ids(2_000)
        entry.set_text(text)
        await until(pilot, lambda: not entry.parse_pending)
        assert len(entry.parsed.model_ids) == 2_000
        parses.clear()
        measured.clear()
        # A burst of keys is one edit only if no gap between two keys outlasts the debounce:
        # Pilot waits for idle after each key, and on a loaded machine (the suite runs in
        # parallel) a gap can pass 0.15 s. The debounce under test is the same, just longer.
        monkeypatch.setattr(id_entry, "DEBOUNCE_SECONDS", 1.0)
        entry.text_area.focus()
        entry.text_area.move_cursor((2_001, 0))
        await pilot.press(*"cm-not-an-id")
        await until(pilot, lambda: not entry.parse_pending)
        # One parse for the whole burst (debounced), and never on the UI thread.
        assert len(parses) == 1, parses
        assert threading.main_thread().name not in parses
        assert measured == [], "a keystroke re-measured the whole box"
        area = entry.text_area
        assert area.virtual_size.height == 2_002
        assert area.virtual_size.width >= len(text.split("\n")[1])
        assert len(entry.parsed.model_ids) == 2_000
        assert [bad.token for bad in entry.parsed.invalid] == ["cm-not-an-id"]


async def test_a_paste_over_4_mib_is_parsed_whole_and_ctrl_u_sees_all_of_it(
    simenv: SimulatorThread,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        ids, text = padded_ids(25_000)
        assert len(text) > 4 * 1024 * 1024
        app.main.query_one(IdEntry).set_text(text)
        await pilot.press("ctrl+u")  # at once: the parse has not finished yet
        await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy), timeout=30)
        assert isinstance(app.screen, ConfirmUndeploy)
        assert app.screen.model_ids == ids
        await pilot.press("escape")
