"""core.text: the fast paths must say exactly what the per-character definition says."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kore_tui.core import text
from kore_tui.core.text import _PLACEHOLDER, _is_unsafe, inert, scrub

# Every kind of character: ASCII, controls (C0, DEL, C1), bidi overrides, surrogates,
# private use, unassigned code points, line and paragraph separators, wide characters.
ANY_TEXT = st.text(
    st.one_of(
        st.characters(min_codepoint=0, max_codepoint=0xFF),
        st.sampled_from("\u202e\u2066\u200b\ufeff\u2028\u2029\ud800\ue000\U0010ffff\u0378界"),
        st.characters(),
    ),
    max_size=200,
)


def scrub_by_definition(value: str, keep: str) -> str:
    return "".join(ch if ch in keep or not _is_unsafe(ch) else _PLACEHOLDER for ch in value)


def inert_by_definition(value: str, limit: int) -> str:
    text = value[: limit * 4]
    cleaned = "".join(
        " " if ch in "\t\r\n" else (_PLACEHOLDER if _is_unsafe(ch) else ch) for ch in text
    )
    return cleaned[: max(limit - 1, 0)] + "…" if len(cleaned) > limit else cleaned


@given(ANY_TEXT, st.sampled_from(["", "\n\r\t", "\t"]))
def test_scrub_replaces_exactly_the_unsafe_characters(value: str, keep: str) -> None:
    assert scrub(value, keep=keep) == scrub_by_definition(value, keep)


@given(ANY_TEXT, st.integers(min_value=0, max_value=120))
def test_inert_flattens_and_replaces_exactly_as_defined(value: str, limit: int) -> None:
    assert inert(value, limit) == inert_by_definition(value, limit)


def test_a_big_multi_line_paste_is_scrubbed_without_judging_every_character(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 4 MiB paste of IDs, one per line, with one control character in it: the newlines
    failed the fast exit and every character went through the per-character check (about
    a second of CPU on the UI thread). Only what can be unsafe is judged now."""
    judged: list[str] = []

    def judge(ch: str) -> bool:
        judged.append(ch)
        return _is_unsafe(ch)

    monkeypatch.setattr(text, "_is_unsafe", judge)
    line = "cm-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\n"
    paste = line * (4 * 2**20 // len(line)) + "\x07"
    assert scrub(paste, keep="\n\r\t") == paste[:-1] + _PLACEHOLDER
    assert judged == ["\x07"]
