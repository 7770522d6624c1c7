"""The console's timers do no layout work when nothing that changes a layout happened.

A Static's ``update`` re-lays out the whole screen. The banner is refreshed once a
second (its ages move) and the summary on every drain that brought anything (mostly
polls that change no count): each re-laid out every widget for one line of new text.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from kore_tui.core.job import ACTIVE_STATES
from kore_tui.tools.scenes import FROZEN, Scene, build_app, settle
from kore_tui.tui.app import KoreApp
from kore_tui.tui.widgets.banner import EnvBanner


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
