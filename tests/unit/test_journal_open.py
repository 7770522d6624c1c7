"""Opening a fresh journal from several processes at the same moment (the second of two
runs started together exited 2: "cannot open the journal … database is locked")."""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
from pathlib import Path

import pytest

from kore_tui.core.journal_open import open_database


def _open_at(path: str, start: float, results: multiprocessing.Queue[str]) -> None:
    from kore_tui.core.journal import Journal, JournalError

    time.sleep(max(0.0, start - time.time()))
    try:
        Journal(Path(path)).close()
        results.put("ok")
    except JournalError as exc:
        results.put(str(exc))


def test_processes_opening_a_fresh_journal_together_all_get_it(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    failures = []
    # Two at a time, as two runs started together: on the old code 18 of 60 opens failed.
    for trial in range(10):
        results: multiprocessing.Queue[str] = context.Queue()
        path = str(tmp_path / f"journal-{trial}.sqlite3")
        start = time.time() + 0.2
        procs = [context.Process(target=_open_at, args=(path, start, results)) for _ in range(2)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(30)
        failures += [r for r in (results.get(timeout=5) for _ in procs) if r != "ok"]
    assert failures == []


def test_a_lock_while_opening_is_waited_out(tmp_path: Path) -> None:
    calls = []

    def setup(db: sqlite3.Connection) -> None:
        calls.append(db)
        if len(calls) < 3:
            raise sqlite3.OperationalError("database is locked")

    db = open_database(tmp_path / "j.sqlite3", setup)
    assert len(calls) == 3 and db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_other_errors_and_a_lock_past_the_timeout_are_raised(tmp_path: Path) -> None:
    def broken(db: sqlite3.Connection) -> None:
        raise sqlite3.OperationalError("no such table: jobs")

    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        open_database(tmp_path / "a.sqlite3", broken)

    def locked(db: sqlite3.Connection) -> None:
        raise sqlite3.OperationalError("database is locked")

    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        open_database(tmp_path / "b.sqlite3", locked, timeout=0.3)
    assert time.monotonic() - started < 2


def test_a_journal_path_that_is_not_a_file_is_refused_before_anything_is_touched(
    tmp_path: Path,
) -> None:
    """KORE_TUI_JOURNAL=/dev/null left a world-writable /dev/null-journal (as root), and
    the journal's chmod 0600 would have applied to the device itself."""
    import socket
    import stat

    from kore_tui.core.journal import Journal, JournalError

    path = tmp_path / "journal.sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        mode = stat.S_IMODE(path.stat().st_mode)
        with pytest.raises(JournalError) as info:
            Journal(path)
        assert "not a regular file" in str(info.value)
        assert stat.S_IMODE(path.stat().st_mode) == mode, "its mode was changed"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["journal.sock"]
