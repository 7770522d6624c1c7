"""The terminal-gone backstop (tui/termination.py) ends the process with os._exit, which
skips every `with` exit and atexit hook: what must not be left behind is cleaned first."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kore_tui.tui import termination


class Ended(Exception):
    pass


def test_the_backstop_removes_the_demo_folder_before_ending_the_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    codes: list[int] = []

    def exit_now(code: int) -> None:
        codes.append(code)
        raise Ended

    monkeypatch.setattr("kore_tui.tui.termination.os._exit", exit_now)
    folder = tmp_path / "kore-tui-demo-x"
    folder.mkdir()
    (folder / "demo-journal.sqlite3").write_bytes(b"journal")

    def broken() -> None:
        raise OSError("a cleanup that fails does not stop the others, nor the exit")

    with (
        termination.cleaned_up_on_forced_exit(broken),
        termination.cleaned_up_on_forced_exit(lambda: shutil.rmtree(folder)),
        pytest.raises(Ended),
    ):
        termination._end_by_force()
    assert codes == [termination.HANGUP]
    assert not folder.exists()
    # Outside the block (the demo ended normally), a later backstop has nothing to clean.
    assert not termination._forced_exit_cleanups
