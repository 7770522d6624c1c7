"""The core never imports Textual; --version and --help stay off Textual and httpx."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE_MODULES = [
    "kore_tui.core.api_client",
    "kore_tui.core.ids",
    "kore_tui.core.config",
    "kore_tui.core.keys",
    "kore_tui.core.engine",
    "kore_tui.core.journal",
    "kore_tui.core.store",
    "kore_tui.simulator",
    "kore_tui.cli.undeploy_cmd",
    "kore_tui.cli.status_cmd",
    "kore_tui.cli.history_cmd",
    "kore_tui.cli.env_cmd",
]


def loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(out.split())


def test_core_and_headless_cli_do_not_import_textual() -> None:
    modules = loaded_after("\n".join(f"import {m}" for m in CORE_MODULES))
    assert not {m for m in modules if m == "textual" or m.startswith("textual.")}


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["undeploy", "--help"]])
def test_fast_paths_import_neither_textual_nor_httpx(argv: list[str]) -> None:
    code = (
        "import sys\nfrom kore_tui.cli.main import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'httpx', 'rich')]\n"
        "print('BAD', bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "BAD []" in out
