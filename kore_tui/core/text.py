"""Make untrusted strings (server bodies, config values, pasted text) inert.

Anything from a server or a user is shown as plain text: control characters
(C0, C1, DEL), bidi overrides and other format characters are replaced with
a visible placeholder so that no escape sequence (CSI, OSC 52 clipboard
writes, ...) reaches a terminal and no text is reordered; length is bounded.
Rich markup is not interpreted here: callers render with ``rich.text.Text``
(which never parses markup), so ``[bold]`` stays literal.
"""

from __future__ import annotations

import functools
import re
import unicodedata

DEFAULT_LIMIT = 300
_PLACEHOLDER = "\N{REPLACEMENT CHARACTER}"


def _is_unsafe(ch: str) -> bool:
    code = ord(ch)
    if code < 0x20 or 0x7F <= code < 0xA0:
        return True
    # Cf covers bidi overrides/isolates (U+202A-202E, U+2066-2069), zero-width
    # joiners and the BOM; Cs/Co/Cn are surrogates, private use and unassigned.
    return unicodedata.category(ch) in {"Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def inert(value: object, limit: int = DEFAULT_LIMIT) -> str:
    """A single-line, escape-free, bounded rendering of ``value``."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit * 4:
        text = text[: limit * 4]
    cleaned = text if _plain(text) else _suspects("").sub(_flattened, text)
    if len(cleaned) > limit:
        cleaned = cleaned[: max(limit - 1, 0)] + "…"
    return cleaned


def excerpt_bytes(body: bytes, limit: int = 120) -> str:
    """A short readable excerpt of a non-JSON body (an HTML gateway page, say)."""
    if not body.strip():
        return "(empty body)"
    text = body[: limit * 8].decode("utf-8", errors="replace")
    lowered = text.lower()
    if "<title>" in lowered:
        start = lowered.index("<title>") + len("<title>")
        end = lowered.find("</title>", start)
        title = text[start : end if end != -1 else start + limit]
        return "HTML page: " + inert(title.strip(), limit)
    return inert(" ".join(text.split()), limit)


def scrub(value: str, keep: str = "") -> str:
    """``value`` with every unsafe character (see ``inert``) replaced, length unchanged.

    For text an operator edits (input boxes): unlike ``inert`` it neither bounds nor
    flattens, and characters in ``keep`` (a text area's newlines and tabs) survive. One
    character in, one out, so cursor positions and edit offsets stay valid.
    """
    if _plain(value):  # the common case, a fast exit
        return value
    return _suspects(keep).sub(lambda m: m.group() if m.group() in keep else _replaced(m), value)


def _plain(text: str) -> bool:
    return text.isascii() and text.isprintable()


# Only controls and non-ASCII characters can be unsafe: a regex finds those (in C) and
# ``_is_unsafe`` judges each one found. Judging every character in Python took ~1 s of CPU
# for a 4 MiB paste of IDs (its newlines failed the fast exit above); this takes ~20 ms.
@functools.lru_cache(maxsize=8)
def _suspects(keep: str) -> re.Pattern[str]:
    controls = "".join(
        re.escape(chr(code)) for code in (*range(0x20), *range(0x7F, 0xA0)) if chr(code) not in keep
    )
    return re.compile(f"[{controls}]|[^\\x00-\\x7f]")


def _replaced(match: re.Match[str]) -> str:
    ch = match.group()
    return _PLACEHOLDER if _is_unsafe(ch) else ch


def _flattened(match: re.Match[str]) -> str:
    ch = match.group()
    return " " if ch in "\t\r\n" else _replaced(match)


# Terminal escapes (CSI, OSC, two-byte ESC sequences): what colours a `grep --color` or
# `ls` output. In pasted text they are never the operator's words, and "\x1b[31mcm-…"
# read as the plain word "31mcm-…" (its ID lost, silently).
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")


def strip_escapes(value: str) -> str:
    """``value`` without its terminal escape sequences (a lone ESC stays, for scrub)."""
    return _ESCAPES.sub("", value) if "\x1b" in value else value
