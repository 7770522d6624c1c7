"""One parse of each Textual stylesheet per test process, not one per app.

Textual caches what it parses per ``Stylesheet``, and each app has its own: the ~100
console apps a worker starts each tokenised and parsed the same default CSS of every
widget again (about 50 ms of CPU per app start, a quarter of a bare console start).
The product starts one app per process, so this is a test-harness saving only, and
it stays here, outside the package.

The shared key is Textual's own cache key plus the stylesheet's variables (the theme):
a parse substitutes them, so two apps with different themes never share rules.
Parsed rule sets are never changed after parsing (Textual builds its rules map from
them), so sharing the lists is safe. A parse that fails is not cached, so a broken
stylesheet still raises in every app that loads it.
"""

from __future__ import annotations

from typing import Any

from textual.css.model import RuleSet
from textual.css.stylesheet import Stylesheet

_parse_per_stylesheet = Stylesheet._parse_rules
_parsed: dict[tuple[Any, ...], list[RuleSet]] = {}
# A theme's variables (~150 pairs) as one small number: sorting and hashing them on every
# parse was 1.4% of the suite's CPU. Textual replaces a stylesheet's variables dict on a
# theme change (set_variables), never edits it, so its identity names its content; the
# dict is kept alive here, so its id is never reused for another.
_themes: dict[int, tuple[dict[str, str], int]] = {}
_theme_numbers: dict[tuple[tuple[str, str], ...], int] = {}


def _theme_of(stylesheet: Stylesheet) -> int:
    variables = stylesheet._variables
    known = _themes.get(id(variables))
    if known is None or known[0] is not variables:
        content = tuple(sorted(variables.items()))
        number = _theme_numbers.setdefault(content, len(_theme_numbers))
        known = _themes[id(variables)] = (variables, number)
    return known[1]


def _parse_rules_once(
    self: Stylesheet,
    css: str,
    read_from: Any,
    is_default_rules: bool = False,
    tie_breaker: int = 0,
    scope: str = "",
) -> list[RuleSet]:
    key = (css, read_from, is_default_rules, tie_breaker, scope, _theme_of(self))
    rules = _parsed.get(key)
    if rules is None:
        rules = _parse_per_stylesheet(self, css, read_from, is_default_rules, tie_breaker, scope)
        _parsed[key] = rules
    return rules


def share_parsed_css() -> None:
    Stylesheet._parse_rules = _parse_rules_once  # type: ignore[method-assign]
