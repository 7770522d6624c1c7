"""Snapshot tests of the main screens (the same deterministic scenes as the README)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from kore_tui.tools.scenes import SCENES, SIZE, Scene, build_app


@pytest.mark.parametrize("scene", SCENES, ids=[s.name for s in SCENES])
def test_screen_matches_snapshot(scene: Scene, snap_compare: Any) -> None:
    app = build_app(scene)

    async def run_before(pilot: Pilot[int]) -> None:
        await scene.setup(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
