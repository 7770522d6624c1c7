"""The size limits issue 12 set for the package: files of one job, an App class that
composes rather than does. A file that grows past them is split, not excused."""

from __future__ import annotations

import ast
from pathlib import Path

import kore_tui

PACKAGE = Path(kore_tui.__file__).parent
MAX_FILE_LINES = 350
MAX_APP_CLASS_LINES = 200


def test_no_module_is_over_350_lines() -> None:
    sizes = {
        str(path.relative_to(PACKAGE)): len(path.read_text(encoding="utf-8").splitlines())
        for path in PACKAGE.rglob("*.py")
    }
    assert len(sizes) > 50, "the package was found"
    assert {name: n for name, n in sizes.items() if n > MAX_FILE_LINES} == {}


def test_the_app_classes_are_under_200_lines() -> None:
    apps = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            bases = [ast.unparse(b) for b in node.bases] if isinstance(node, ast.ClassDef) else []
            if isinstance(node, ast.ClassDef) and (
                node.name.endswith("App") or any(b.endswith("App") for b in bases)
            ):
                apps[f"{path.name}:{node.name}"] = (node.end_lineno or 0) - node.lineno + 1
    assert "app.py:KoreApp" in apps
    assert {name: n for name, n in apps.items() if n >= MAX_APP_CLASS_LINES} == {}
