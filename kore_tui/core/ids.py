"""Find model, tool and dock status IDs in whatever an operator pastes.

Accepted: one per line, commas, tabs, CSV with a header, JSON arrays and
objects, quoted values, URLs that contain IDs, Windows line endings, stray
spaces and bullets. The text is cut into word-like tokens (letters, digits,
``-`` and ``_``); every token that claims to be an ID (a ``cm-``/``a-``/``ds-``
prefix, or a long run of hex and dashes) is validated and either accepted or
reported with a specific reason. Plain words (a CSV header, ``https``,
``models``, ``a-team``) are ignored, not reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote

from kore_tui.core.errors import InvalidIdError
from kore_tui.core.resources import MODEL_PREFIX, TOOL_PREFIX
from kore_tui.core.text import strip_escapes

__all__ = [
    "DOCK_STATUS_PREFIX",
    "MODEL_PREFIX",
    "TOOL_PREFIX",
    "InvalidToken",
    "ParsedIds",
    "classify_token",
    "for_status",
    "for_undeploy",
    "parse_ids",
    "path_segment",
    "stray_words",
]

DOCK_STATUS_PREFIX = "ds-"
# (prefix, kind) in the order tokens are tried.
_PREFIXES = ((MODEL_PREFIX, "model"), (TOOL_PREFIX, "tool"), (DOCK_STATUS_PREFIX, "dock"))
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TOKEN = re.compile(r"[A-Za-z0-9_\-]+")
_HEXISH = re.compile(r"[0-9A-Fa-f\-]+")
_OTHER_PREFIX = re.compile(r"([A-Za-z]{1,4})-([0-9A-Za-z]+-){2,}[0-9A-Za-z]+")
_SHOWN_TOKEN_LIMIT = 60
# An ID behind other text in one token: reported, not taken and not ignored. cm- and ds-
# with 8 hex digits are enough (a mangled paste cuts IDs too); a- needs the whole UUID
# ("data-…" is a word).
_EMBEDDED = re.compile(
    r"(cm-|ds-)[0-9a-f]{8}|(a-)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)


InvalidKind = Literal["malformed", "dock_status_id", "model_id", "tool_id"]


@dataclass(frozen=True)
class InvalidToken:
    token: str
    reason: str
    # "malformed": not a valid ID at all. The other two are valid IDs of the wrong kind
    # for the command (a ds- given to undeploy, a cm- or a- given to status): callers decide on
    # this, never on the wording of ``reason``.
    kind: InvalidKind = "malformed"


@dataclass
class ParsedIds:
    model_ids: list[str] = field(default_factory=list)
    dock_status_ids: list[str] = field(default_factory=list)
    invalid: list[InvalidToken] = field(default_factory=list)
    duplicates: int = 0
    tool_ids: list[str] = field(default_factory=list)
    # Every accepted ID in the order it was first pasted, so models and tools can be
    # sent in the operator's order rather than grouped by kind.
    paste_order: list[str] = field(default_factory=list, repr=False)

    @property
    def total_valid(self) -> int:
        return len(self.model_ids) + len(self.tool_ids) + len(self.dock_status_ids)

    @property
    def resource_ids(self) -> list[str]:
        """Models and tools, in paste order, without duplicates."""
        members = dict.fromkeys(self.model_ids + self.tool_ids)
        ordered = [value for value in self.paste_order if value in members]
        return list(dict.fromkeys(ordered + list(members)))


def _shown(token: str) -> str:
    if len(token) > _SHOWN_TOKEN_LIMIT:
        return token[: _SHOWN_TOKEN_LIMIT - 1] + "…"
    return token


def _uuid_problem(body: str) -> str | None:
    """Why ``body`` (as pasted: any case) is not an 8-4-4-4-12 hex UUID, or None. A bad
    character is named as pasted ("contains 'x'" for a stray X sent the eye hunting)."""
    if _UUID.fullmatch(body.lower()):
        return None
    bad = sorted({ch for ch in body if ch.lower() not in "0123456789abcdef-"})
    if bad:
        shown = "".join(bad[:5])
        return f"not hex: contains {shown!r}"
    if len(body) < 36:
        return f"too short: {len(body)} of 36 characters after the prefix"
    if len(body) > 36:
        return f"too long: {len(body)} of 36 characters after the prefix"
    return "not in 8-4-4-4-12 UUID form"


def _claims_tool_id(body: str) -> bool:
    """Whether the text after ``a-`` looks meant as an ID rather than a word.

    ``a-`` starts ordinary words too (``a-team``, ``a-la-carte``): those are ignored like
    any plain word. A digit, or a long run of hex, is what a truncated or mangled tool ID
    keeps, and that deserves a reason.
    """
    return any(ch.isdigit() for ch in body) or (len(body) >= 8 and bool(_HEXISH.fullmatch(body)))


def classify_token(token: str) -> tuple[str, str] | InvalidToken | None:
    """("model"|"tool"|"dock", normalized id), an InvalidToken, or None for a plain word."""
    stripped = token.lstrip("-_")
    if not stripped:
        return None
    lower = stripped.lower()
    for prefix, kind in _PREFIXES:
        if lower.startswith(prefix):
            body = lower[len(prefix) :]
            if prefix == TOOL_PREFIX and not _claims_tool_id(body):
                return None
            # The prefixes are ASCII: the body as pasted starts where the lowered one does.
            problem = _uuid_problem(stripped[len(prefix) :])
            if problem is None:
                return kind, lower
            return InvalidToken(_shown(stripped), problem)
    if _UUID.fullmatch(lower):
        return InvalidToken(
            _shown(stripped), "missing the cm- (model), a- (tool) or ds- (dock status) prefix"
        )
    if _HEXISH.fullmatch(stripped) and "-" in stripped and len(stripped) >= 16:
        return InvalidToken(_shown(stripped), "looks like an ID but has no cm-, a- or ds- prefix")
    other = _OTHER_PREFIX.fullmatch(stripped)
    if other and len(stripped) >= 16 and sum(ch.isdigit() for ch in stripped) >= 4:
        return InvalidToken(_shown(stripped), f"unsupported prefix {other.group(1).lower()!r}-")
    embedded = _EMBEDDED.search(lower)
    if embedded:
        lead = stripped[: embedded.start()]
        prefix = embedded.group(1) or embedded.group(2)
        return InvalidToken(_shown(stripped), f"text before its {prefix} prefix: {lead[:20]!r}")
    uuid = _UUID.search(lower)
    if uuid:
        # A whole UUID with the wrong thing around it ("cm_…", "cm…"): an operator's paste
        # lost these two, taken for plain words and counted nowhere.
        lead, trail = stripped[: uuid.start()], stripped[uuid.end() :]
        if lead:
            return InvalidToken(
                _shown(stripped),
                f"{lead[:20]!r} before the UUID is not a prefix: cm- (model), a- (tool) "
                "or ds- (dock status)",
            )
        return InvalidToken(_shown(stripped), f"text after the UUID: {trail[:20]!r}")
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
        text = strip_escapes(text)
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
            result.paste_order.append(value)
            {"model": result.model_ids, "tool": result.tool_ids, "dock": result.dock_status_ids}[
                kind
            ].append(value)


def stray_words(arguments: Iterable[str]) -> list[InvalidToken]:
    """Command-line arguments are each meant as an ID: a plain word among them ("--env"
    after ``--``, an environment's name) is reported, where a file's words (a CSV header)
    are rightly ignored. It went unnoticed, and the run went to the default environment."""
    reason = "not an ID (each argument is read as an ID; options go before --)"
    return [
        InvalidToken(_shown(match.group(0)), reason)
        for argument in arguments
        for match in _TOKEN.finditer(strip_escapes(argument))
        if classify_token(match.group(0)) is None
    ]


def parse_ids(text: str) -> ParsedIds:
    parser = IdParser()
    parser.feed(text)
    return parser.result


def for_undeploy(parsed: ParsedIds) -> ParsedIds:
    """The same result with dock status IDs reported: they cannot be (un)deployed.

    Used for every command that acts on resources (undeploy, deploy, bounce).
    """
    reason = "this is a dock status ID, not a model or tool ID (watch it with `status`)"
    invalid = list(parsed.invalid) + [
        InvalidToken(ds, reason, "dock_status_id") for ds in parsed.dock_status_ids
    ]
    return ParsedIds(
        model_ids=list(parsed.model_ids),
        invalid=invalid,
        duplicates=parsed.duplicates,
        tool_ids=list(parsed.tool_ids),
        paste_order=list(parsed.paste_order),
    )


def for_status(parsed: ParsedIds) -> ParsedIds:
    invalid = list(parsed.invalid)
    tools = set(parsed.tool_ids)
    for value in parsed.resource_ids:
        if value in tools:
            invalid.append(
                InvalidToken(value, "this is a tool ID, not a dock status ID", "tool_id")
            )
        else:
            invalid.append(
                InvalidToken(value, "this is a model ID, not a dock status ID", "model_id")
            )
    return ParsedIds(
        dock_status_ids=list(parsed.dock_status_ids),
        invalid=invalid,
        duplicates=parsed.duplicates,
        paste_order=list(parsed.dock_status_ids),
    )


def path_segment(value: str, prefix: str) -> str:
    """Validate an ID and encode it for a URL path; nothing else may reach a path."""
    lower = value.strip().lower()
    if not lower.startswith(prefix) or _uuid_problem(lower[len(prefix) :]) is not None:
        raise InvalidIdError(f"not a valid {prefix} ID: {_shown(value)!r}")
    return quote(lower, safe="")
