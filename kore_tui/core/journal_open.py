"""Opening the journal's SQLite file when another process may be opening it too.

Two runs started at the same moment on a fresh journal both switch it to WAL and create
the schema. Switching the journal mode needs an exclusive lock, and SQLite answers
"database is locked" at once, without its busy handler, where waiting could deadlock:
the second run exited 2 ("cannot open the journal … database is locked") although the
first was done with the file a few milliseconds later. So the whole opening (mode,
schema) is retried on a lock, with a growing pause, for as long as a busy write would
wait (``timeout``).
"""

from __future__ import annotations

import sqlite3
import stat
import time
from collections.abc import Callable
from pathlib import Path

_LOCKED = ("database is locked", "database table is locked", "database is busy")


def not_a_file(path: Path) -> str | None:
    """Why ``path`` cannot hold a journal, or None. Checked before SQLite creates its side
    files next to it or the journal is chmod-ed: KORE_TUI_JOURNAL=/dev/null left a
    world-writable /dev/null-journal (as root), and the chmod would have hit the device."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None  # a new journal
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    if stat.S_ISREG(mode):
        return None
    return "not a regular file (a device, a FIFO, a socket or a directory)"


def open_database(
    path: Path, setup: Callable[[sqlite3.Connection], None], timeout: float = 10.0
) -> sqlite3.Connection:
    """A connection to ``path`` in WAL mode on which ``setup`` (the schema) has run."""
    give_up = time.monotonic() + timeout
    pause = 0.01
    while True:
        db = sqlite3.connect(path, isolation_level=None, timeout=timeout)
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            setup(db)
            return db
        except sqlite3.OperationalError as exc:
            db.close()
            if not any(m in str(exc) for m in _LOCKED) or time.monotonic() + pause > give_up:
                raise
        except BaseException:
            db.close()
            raise
        time.sleep(pause)
        pause = min(pause * 2, 0.25)
