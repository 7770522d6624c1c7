"""The ID box's immediate re-read (``set_text``) runs, without a 0 s timer.

Textual 8.2's ``set_timer(0)`` never runs its callback: the timer's first step divides by
its interval (``int((now - start) / _interval + 1)``) and its task dies with
ZeroDivisionError, re-raised when the app shuts down. ``set_text`` used one; the
TextArea's Changed event usually re-armed the debounce and stopped the dead timer, but
when none came in between, quitting raised (seen once as a flaky test_terminal_safety
run: ZeroDivisionError from Timer._stop_all at shutdown).
"""

from __future__ import annotations

from kore_tui.tools.scenes import Scene, build_app, settle
from kore_tui.tui.app import KoreApp
from kore_tui.tui.widgets.id_entry import IdEntry
from tests.tui.conftest import until

MODEL = "cm-f38b2ffc-80a4-4f5a-91c9-bc701e7ea419"


async def _noop(app: KoreApp, pilot: object) -> None:
    return None


async def test_an_immediate_re_read_runs_and_leaves_nothing_to_raise_at_quit() -> None:
    """``set_text`` asks for a re-read with no delay; the TextArea's Changed event usually
    re-armed the debounce and stopped the dead timer before anyone noticed. Without that
    event (a quit in between, or no change) the 0 s timer's task had died unseen: the
    feedback stayed stale and shutdown raised its ZeroDivisionError."""
    app = build_app(Scene("id-refresh", "", "dev", _noop, with_jobs=False))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        entry = app.main.query_one(IdEntry)
        entry.text_area.load_text(MODEL)
        await pilot.pause()
        entry._edited(0.0)  # what set_text asks for, without the Changed that follows it
        await until(pilot, lambda: entry.parsed.model_ids == [MODEL], timeout=5)
    # Leaving run_test shut the app down: a dead timer task would have raised there.
