"""Find model and dock status IDs in whatever an operator pastes.

Accepted: one per line, commas, tabs, CSV with a header, JSON arrays and
objects, quoted values, URLs that contain IDs, Windows line endings, stray
spaces and bullets. The text is cut into word-like tokens (letters, digits,
``-`` and ``_``); every token that claims to be an ID (a ``cm-``/``ds-``
prefix, or a long run of hex and dashes) is validated and either accepted or
reported with a specific reason. Plain words (a CSV header, ``https``,
``models``) are ignored, not reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote

from kore_tui.core.errors import InvalidIdError

MODEL_PREFIX = "cm-"
DOCK_STATUS_PREFIX = "ds-"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TOKEN = re.compile(r"[A-Za-z0-9_\-]+")
_HEXISH = re.compile(r"[0-9A-Fa-f\-]+")
_OTHER_PREFIX = re.compile(r"([A-Za-z]{1,4})-([0-9A-Za-z]+-){2,}[0-9A-Za-z]+")
_SHOWN_TOKEN_LIMIT = 60


InvalidKind = Literal["malformed", "dock_status_id", "model_id"]


@dataclass(frozen=True)
class InvalidToken:
    token: str
    reason: str
    # "malformed": not a valid ID at all. The other two are valid IDs of the wrong kind
    # for the command (a ds- given to undeploy, a cm- given to status): callers decide on
    # this, never on the wording of ``reason``.
    kind: InvalidKind = "malformed"


@dataclass
class ParsedIds:
    model_ids: list[str] = field(default_factory=list)
    dock_status_ids: list[str] = field(default_factory=list)
    invalid: list[InvalidToken] = field(default_factory=list)
    duplicates: int = 0

    @property
    def total_valid(self) -> int:
        return len(self.model_ids) + len(self.dock_status_ids)


def _shown(token: str) -> str:
    if len(token) > _SHOWN_TOKEN_LIMIT:
        return token[: _SHOWN_TOKEN_LIMIT - 1] + "…"
    return token


def _uuid_problem(body: str) -> str | None:
    """Why ``body`` (already lower case) is not an 8-4-4-4-12 hex UUID, or None."""
    if _UUID.fullmatch(body):
        return None
    bad = sorted({ch for ch in body if ch not in "0123456789abcdef-"})
    if bad:
        shown = "".join(bad[:5])
        return f"not hex: contains {shown!r}"
    if len(body) < 36:
        return f"too short: {len(body)} of 36 characters after the prefix"
    if len(body) > 36:
        return f"too long: {len(body)} of 36 characters after the prefix"
    return "not in 8-4-4-4-12 UUID form"


def classify_token(token: str) -> tuple[str, str] | InvalidToken | None:
    """("model"|"dock", normalized id), an InvalidToken, or None for a plain word."""
    stripped = token.lstrip("-_")
    if not stripped:
        return None
    lower = stripped.lower()
    for prefix, kind in ((MODEL_PREFIX, "model"), (DOCK_STATUS_PREFIX, "dock")):
        if lower.startswith(prefix):
            problem = _uuid_problem(lower[len(prefix) :])
            if problem is None:
                return kind, lower
            return InvalidToken(_shown(stripped), problem)
    if _UUID.fullmatch(lower):
        return InvalidToken(_shown(stripped), "missing the cm- (model) or ds- (dock status) prefix")
    if _HEXISH.fullmatch(stripped) and "-" in stripped and len(stripped) >= 16:
        return InvalidToken(_shown(stripped), "looks like an ID but has no cm- or ds- prefix")
    other = _OTHER_PREFIX.fullmatch(stripped)
    if other and len(stripped) >= 16 and sum(ch.isdigit() for ch in stripped) >= 4:
        return InvalidToken(_shown(stripped), f"unsupported prefix {other.group(1).lower()!r}-")
    return None


class IdParser:
    """``parse_ids`` fed in pieces (each piece whole lines: no token spans a line end).

    The console parses a big box a few thousand lines at a time on a worker
    thread, so it can stop early when the box changes and give the UI thread
    the interpreter between pieces.
    """

    def __init__(self) -> None:
        self.result = ParsedIds()
        self._seen: set[str] = set()
        self._seen_invalid: set[str] = set()

    def feed(self, text: str) -> None:
        result = self.result
        seen = self._seen
        for match in _TOKEN.finditer(text):
            outcome = classify_token(match.group(0))
            if outcome is None:
                continue
            if isinstance(outcome, InvalidToken):
                if outcome.token not in self._seen_invalid:
                    self._seen_invalid.add(outcome.token)
                    result.invalid.append(outcome)
                continue
            kind, value = outcome
            if value in seen:
                result.duplicates += 1
                continue
            seen.add(value)
            (result.model_ids if kind == "model" else result.dock_status_ids).append(value)


def parse_ids(text: str) -> ParsedIds:
    parser = IdParser()
    parser.feed(text)
    return parser.result


def for_undeploy(parsed: ParsedIds) -> ParsedIds:
    """The same result with dock status IDs reported: they cannot be undeployed."""
    invalid = list(parsed.invalid) + [
        InvalidToken(ds, "this is a dock status ID, not a model ID (watch it with `status`)",
                     "dock_status_id")
        for ds in parsed.dock_status_ids
    ]
    return ParsedIds(parsed.model_ids, [], invalid, parsed.duplicates)


def for_status(parsed: ParsedIds) -> ParsedIds:
    invalid = list(parsed.invalid) + [
        InvalidToken(cm, "this is a model ID, not a dock status ID", "model_id")
        for cm in parsed.model_ids
    ]
    return ParsedIds([], parsed.dock_status_ids, invalid, parsed.duplicates)


def path_segment(value: str, prefix: str) -> str:
    """Validate an ID and encode it for a URL path; nothing else may reach a path."""
    lower = value.strip().lower()
    if not lower.startswith(prefix) or _uuid_problem(lower[len(prefix) :]) is not None:
        raise InvalidIdError(f"not a valid {prefix} ID: {_shown(value)!r}")
    return quote(lower, safe="")
