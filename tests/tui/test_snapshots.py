"""Snapshot tests of the main screens (the same deterministic scenes as the README), and of
the main screen and every dialog at 80x24, 120x36 and 200x50, where layouts broke."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from kore_tui.tools.scenes import AT_EVERY_SIZE, SCENES, SIZE, SIZES, Scene, build_app


@pytest.mark.parametrize("scene", SCENES, ids=[s.name for s in SCENES])
def test_screen_matches_snapshot(scene: Scene, snap_compare: Any) -> None:
    app = build_app(scene)

    async def run_before(pilot: Pilot[int]) -> None:
        await scene.setup(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


SIZED = [(s, size) for s in SCENES if s.name in AT_EVERY_SIZE for size in SIZES if size != SIZE]


@pytest.mark.parametrize(("scene", "size"), SIZED, ids=[f"{s.name}-{w}x{h}" for s, (w, h) in SIZED])
def test_screen_matches_snapshot_at_size(
    scene: Scene, size: tuple[int, int], snap_compare: Any
) -> None:
    app = build_app(scene)

    async def run_before(pilot: Pilot[int]) -> None:
        await scene.setup(app, pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
