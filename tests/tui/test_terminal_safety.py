"""Text an operator puts into the console never reaches the terminal as control codes.

Each input (ID box by paste, load and typing; filter; editor fields; path and key
prompts) is fed the hostile corpus; then the exact bytes Textual would write to the
terminal for the whole screen are rendered and searched for the payloads' escapes.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from textual import events
from textual.widget import Widget
from textual.widgets import Checkbox, Input

from kore_tui.tools.scenes import Scene, build_app
from kore_tui.tui.app import KoreApp
from kore_tui.tui.screens.environments import EnvironmentEditor
from kore_tui.tui.screens.prompts import KeyPrompt, PathPrompt
from kore_tui.tui.widgets.id_entry import IdEntry
from tests.audit.corpus import PAYLOADS
from tests.tui.conftest import until

# Short payloads only: the 100k-character ones test bounds, not escapes.
HOSTILE = " ".join(p for p in PAYLOADS if len(p) < 200)
# An Input takes the first line of a paste and shows its start: one line, escapes first.
LINE = " ".join(sorted((p for p in PAYLOADS if len(p) < 200), key=str.isprintable))
LINE = LINE.replace("\n", " ").replace("\r", " ")
# What the payloads would do if they reached the terminal. Rich's own SGR styling
# (ESC [ … m) is legitimate output, so the check is for these sequences, not for ESC.
FORBIDDEN = [
    "\x1b]",
    "\x1bP",
    "\x1b[2J",
    "\x1b[6n",
    "\x9b",
    "\x07",
    "\x00",
    "\x08",
    "\x7f",
    "\u202e",
    "\u202c",
    "\u2066",
    "\u2069",
    "\u200b",
    "\ufeff",
    "\u2028",
    "\u2029",
    "\udcff",
]
SIZE = (120, 36)


async def _noop(app: KoreApp, pilot: object) -> None:
    return None


def terminal_output(app: KoreApp) -> str:
    """What the driver would write for a full repaint of the current screen."""
    update = app.screen._compositor.render_full_update()
    return update.render_segments(app.console)


def assert_clean(app: KoreApp, where: str) -> None:
    out = terminal_output(app)
    found = [repr(s) for s in FORBIDDEN if s in out]
    assert not found, f"{where}: the terminal would receive {', '.join(found)}"
    assert "\ufffd" in out, f"{where}: the hostile text was not shown at all"


def paste_into(widget: Widget, text: str) -> None:
    widget.post_message(events.Paste(text))


def new_app() -> KoreApp:
    return build_app(Scene("safety", "", "dev", _noop, with_jobs=False))


async def test_id_box_paste_typing_and_load_are_scrubbed(tmp_path: Path) -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        entry = app.main.query_one(IdEntry)
        paste_into(entry.text_area, HOSTILE)
        await pilot.pause()
        assert "\x1b" not in entry.text_area.text
        assert_clean(app, "ID box paste")
        entry.set_text("")
        entry.text_area.focus()
        await pilot.press(*"ab", "tab")
        entry.text_area.insert("\x1b]0;title\x07\u202e")  # what a typed escape becomes
        await pilot.pause()
        assert_clean(app, "ID box typing")
        hostile_file = tmp_path / "ids.txt"
        body = HOSTILE + "\ncm-f38b2ffc-80a4-4f5a-91c9-bc701e7ea419\n"
        hostile_file.write_bytes(body.encode("utf-8", "surrogateescape") + b"\xff\xfe")
        await pilot.press("ctrl+o")
        assert isinstance(app.screen, PathPrompt)
        app.screen.query_one(Input).value = str(hostile_file)
        await pilot.press("enter")
        await until(pilot, lambda: "cm-f38b2ffc" in entry.text_area.text)
        assert_clean(app, "ID box load")


async def test_filter_path_and_key_prompts_are_scrubbed() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.main.action_focus_filter()
        await pilot.pause()
        box = app.main.query_one("#filter", Input)
        paste_into(box, LINE)
        await pilot.pause()
        assert "\x1b" not in box.value
        assert_clean(app, "filter (paste)")
        box.value = LINE
        await pilot.pause()
        assert_clean(app, "filter (value)")
        await pilot.press("ctrl+o")
        prompt = app.screen.query_one(Input)
        paste_into(prompt, LINE)
        await pilot.pause()
        assert_clean(app, "path prompt")
        await pilot.press("escape")
        await app.push_screen(KeyPrompt("dev", "https://dev.example"))
        await pilot.pause()
        app.screen.query_one("#reveal", Checkbox).value = True
        paste_into(app.screen.query_one("#key", Input), LINE)
        await pilot.pause()
        assert_clean(app, "key prompt (revealed)")


@pytest.mark.parametrize("field", ["name", "host", "key_env", "key"])
async def test_environment_editor_fields_are_scrubbed(field: str) -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.push_screen(EnvironmentEditor())
        await pilot.pause()
        app.screen.query_one("#reveal", Checkbox).value = True
        box = app.screen.query_one(f"#{field}", Input)
        box.focus()
        paste_into(box, LINE)
        await pilot.pause()
        assert_clean(app, f"editor field {field}")


def test_the_checker_sees_a_raw_input() -> None:
    """The check itself can fail: a stock Input shows the escapes."""
    os.environ.setdefault("KORE_TUI_CONFIG", "/nonexistent/config.toml")

    async def run() -> None:
        app = new_app()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await app.main.mount(Input(value=LINE, id="raw"), before="#jobs")
            await pilot.pause()
            assert any(s in terminal_output(app) for s in FORBIDDEN)

    import asyncio

    asyncio.run(run())


async def test_a_coloured_paste_keeps_its_ids_in_the_id_box() -> None:
    """A paste from `grep --color`: each ESC became "�" in the box, "[31mcm-…" then read as
    the word "31mcm-…", and the ID was gone from the count (an operator run). The escape
    sequences go whole, the IDs stay."""
    app = new_app()
    first = "cm-f38b2ffc-80a4-4f5a-91c9-bc701e7ea419"
    second = "cm-d7a7a3cc-8c3d-4f16-9293-de8fc88b2875"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        entry = app.main.query_one(IdEntry)
        paste_into(
            entry.text_area, f"\x1b[01;31m\x1b[K{first}\x1b[m\x1b[K\n\x1b[31m{second}\x1b[0m\n"
        )
        await until(pilot, lambda: second in entry.text_area.text)
        assert "\x1b" not in entry.text_area.text and "\N{REPLACEMENT CHARACTER}" not in (
            entry.text_area.text
        )
        parsed = await entry.current()
        assert parsed.model_ids == [first, second] and parsed.invalid == []


def test_an_id_cut_behind_other_text_is_reported() -> None:
    """What a mangled colour code leaves ("31mcm-d7a7a3cc-8c3d-…" cut short) was a word."""
    from kore_tui.core.ids import parse_ids

    parsed = parse_ids("31mcm-d7a7a3cc-8c3d-4f16-9293-d")
    assert [i.reason for i in parsed.invalid] == ["text before its cm- prefix: '31m'"]
    assert parse_ids("data-1234abcd and a-team").invalid == [], "words stay words"
