"""Write README screenshots: ``python -m kore_tui.tools.screenshots [OUT_DIR]``.

Deterministic: seeded IDs, frozen clock, fixed 120x36 size; running it twice
gives byte-identical SVG files.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from kore_tui.tools.scenes import SCENES, SIZE, Scene, build_app, isolate_files


async def shoot(scene: Scene, out: Path) -> Path:
    isolate_files()
    app = build_app(scene)
    async with app.run_test(size=SIZE) as pilot:
        await scene.setup(app, pilot)
        svg = app.export_screenshot(title=f"kore-tui: {scene.title}")
    path = out / f"{scene.name}.svg"
    path.write_text(svg, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path("screenshots")
    out.mkdir(parents=True, exist_ok=True)
    for scene in SCENES:
        print(asyncio.run(shoot(scene, out)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
