"""The console's timers do no layout work when nothing that changes a layout happened.

A Static's ``update`` re-lays out the whole screen. The banner is refreshed once a
second (its ages move) and the summary on every drain that brought anything (mostly
polls that change no count): each re-laid out every widget for one line of new text.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise
from typing import Any

import pytest
from textual.geometry import Region
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from kore_tui.core.job import ACTIVE_STATES
from kore_tui.tools.scenes import FROZEN, Scene, build_app, settle
from kore_tui.tui.app import KoreApp
from kore_tui.tui.widgets.banner import EnvBanner
from kore_tui.tui.widgets.jobs_table import JobsTable
from kore_tui.tui.widgets.quiet_footer import QuietFooter


async def _noop(app: KoreApp, pilot: object) -> None:
    return None


def spy_on_layouts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the widgets that ask for a re-layout from now on."""
    asked: list[str] = []
    original = Widget.refresh

    def refresh(self: Widget, *regions: Any, **options: Any) -> Widget:
        if options.get("layout"):
            asked.append(type(self).__name__)
        return original(self, *regions, **options)

    monkeypatch.setattr(Widget, "refresh", refresh)
    return asked


async def test_ticks_and_polls_that_change_no_count_do_not_re_lay_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [FROZEN.timestamp()]
    app = build_app(Scene("ticks", "", "prod", _noop))
    app.clock = lambda: now[0]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        main = app.main
        host = app.host
        assert host is not None
        banner = main.query_one(EnvBanner)
        summary = str(main.query_one("#summary").render())
        active = [j for j in main.model.jobs.values() if j.state in ACTIVE_STATES]
        assert active, "the scene tracks jobs: its polls are what this is about"
        layouts = spy_on_layouts(monkeypatch)
        shown = []
        for second in range(1, 6):
            now[0] += 1
            # What the engine writes after a poll that found the job where it was.
            host.store.put_many([replace(j, polls=j.polls + second) for j in active])
            main._drain()
            main._second()
            shown.append(str(banner.render()))
        await pilot.pause()
        assert len(set(shown)) == 5, f"ages move: the banner shows each second {shown}"
        assert str(main.query_one("#summary").render()) == summary
        assert {j.polls for j in main.model.jobs.values() if j.state in ACTIVE_STATES} != {0}
        assert layouts == [], f"re-layouts asked for by {layouts}"


async def test_the_footer_is_rebuilt_only_when_its_keys_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Textual's Footer re-mounts all its keys on every focus move and every modal closed
    over its screen, ~10 ms each: most of them showed the same keys again."""
    app = build_app(Scene("footer", "", "prod", _noop))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        main = app.main
        footer = main.query_one(Footer)
        rebuilt: list[Screen[object]] = []
        original = Footer.recompose

        async def recompose(self: Footer) -> None:
            rebuilt.append(self.screen)
            await original(self)

        monkeypatch.setattr(Footer, "recompose", recompose)

        def keys() -> list[str]:
            return [key.description for key in footer.query(FooterKey)]

        async def focus(selector: str) -> None:
            main.query_one(selector).focus()
            await pilot.pause()

        await focus("#ids")
        before = keys()
        await focus("#ids")  # the same focus again: the same keys
        await pilot.press("f1")
        assert app.screen is not main
        await pilot.press("escape")
        assert app.screen is main and app.focused is main.query_one("#ids")
        await pilot.pause()
        assert [s for s in rebuilt if s is main] == []
        assert keys() == before
        await focus("#jobs")  # the jobs panel has keys of its own: those must show
        assert [s for s in rebuilt if s is main] != []
        assert keys() != before and "Mark" in keys()


async def test_a_console_start_builds_its_footer_keys_once_per_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """During start-up the screen announces its bindings several times before the footer
    has rebuilt once; each announcement queued a rebuild, and the second one re-mounted the
    very keys the first had just mounted."""
    shown: list[object] = []
    original = Footer.recompose

    async def recompose(self: Footer) -> None:
        if isinstance(self, QuietFooter) and self.is_attached:
            shown.append(self._what_it_shows())
        await original(self)

    monkeypatch.setattr(Footer, "recompose", recompose)
    app = build_app(Scene("start", "", "prod", _noop))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        keys = [key.description for key in app.main.query_one(Footer).query(FooterKey)]
        assert "Envs" in keys, keys
    repeats = [a for a, b in pairwise(shown) if a == b]
    assert len(shown) <= 2 and repeats == [], f"{len(shown)} rebuilds, {len(repeats)} repeats"


def spy_on_repaints(monkeypatch: pytest.MonkeyPatch, widget: Widget) -> list[tuple[Any, ...]]:
    """The regions ``widget`` asks to repaint from now on (``()`` for all of it)."""
    asked: list[tuple[Any, ...]] = []
    original = Widget.refresh

    def refresh(self: Widget, *regions: Any, **options: Any) -> Widget:
        if self is widget:
            asked.append(regions)
        return original(self, *regions, **options)

    monkeypatch.setattr(Widget, "refresh", refresh)
    return asked


@pytest.mark.parametrize("with_jobs", [False, True])
async def test_the_second_tick_repaints_only_the_rows_the_panel_shows(
    monkeypatch: pytest.MonkeyPatch, with_jobs: bool
) -> None:
    """Ages move once a second, so the panel repaints its rows then. An idle console with
    no jobs repainted its whole empty panel: ~3.9 KB a second to the terminal at 120x36."""
    app = build_app(Scene("tick", "", "prod", _noop, with_jobs=with_jobs))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        table = app.main.query_one(JobsTable)
        assert not table.model.dirty
        rows = len(table.model.visible)
        assert (rows > 0) is with_jobs
        asked = spy_on_repaints(monkeypatch, table)
        app.main._second()
        shown = min(rows, table.size.height)
        expected = [(Region(0, 0, table.size.width, shown),)] if with_jobs else []
        assert asked == expected
