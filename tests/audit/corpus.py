"""Hostile strings: each must come out inert (no control, escape or bidi characters) and
bounded wherever it can enter kore-tui."""

from __future__ import annotations

import unicodedata

PAYLOADS: list[str] = [
    "[bold red]pwned[/]",
    "[link=https://evil.example]click[/link]",
    "[/]",
    "[@click=app.quit]quit[/]",
    "$(reboot) `id` ; rm -rf /",
    "\x1b[2J\x1b[H",  # clear screen
    "\x1b]52;c;ZXZpbA==\x07",  # OSC 52: write the clipboard
    "\x1b]52;c;ZXZpbA==\x1b\\",  # OSC 52 with ST terminator
    "\x1b]0;new title\x07",  # OSC 0: window title
    "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x1bP+q\x1b\\",  # DCS query
    "\x9b31m C1 CSI",  # 8-bit CSI
    "\x1b[6n",  # cursor position report request
    "\u202eevil\u202c txt.exe",  # right-to-left override
    "\u2066isolate\u2069",  # bidi isolates
    "zero\u200bwidth\u200djoin\ufeff",  # zero-width and BOM
    "nul\x00byte",
    "bell\x07 backspace\x08 del\x7f",
    "line\nbreak\rcarriage\ttab",
    "\u2028line separator\u2029paragraph",
    "A" * 100_000,  # very long
    "é" * 5_000 + "\U0001f4a5" * 1_000,  # wide and astral characters
    "\udcff surrogate",  # lone surrogate (invalid UTF-8 decoded)
    "\ufffd\ufffd replacement",
    "{" * 5_000,  # JSON-ish nesting
    "%s%n%x {0} {__class__}",  # format strings
    "<script>alert(1)</script>",
    "=cmd|' /C calc'!A0",  # spreadsheet formula
    "\x1b[38;2;255;0;0mred\x1b[0m",
]

_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def assert_inert(text: str, limit: int) -> None:
    assert len(text) <= limit, f"unbounded: {len(text)} > {limit}"
    for ch in text:
        code = ord(ch)
        assert code >= 0x20 and not 0x7F <= code < 0xA0, f"control char {code:#x} in {text[:60]!r}"
        assert ch not in _BIDI, f"bidi control {code:#x}"
        assert unicodedata.category(ch) not in {"Cf", "Cs", "Co", "Zl", "Zp"}, f"{code:#x}"
