"""An API key that cannot leak by accident.

The value is reachable only through :meth:`Secret.reveal`; every other way a
Python object turns into text (repr, str, format, pickling, logging) shows a
masked form with at most the first 3 and last 4 characters.
"""

from __future__ import annotations

import html
import json
from typing import Any, NoReturn
from urllib.parse import quote, quote_plus


def mask_key(value: str) -> str:
    """At most the first 3 and last 4 characters; short keys show less."""
    if len(value) >= 16:
        return f"{value[:3]}…{value[-4:]}"
    if len(value) >= 8:
        return f"…{value[-2:]}"
    return "…" if value else "(empty)"


def key_spellings(value: str) -> list[bytes]:
    """The key as a server may quote it in a body: as is, JSON-escaped (with ``/`` as
    ``\\/`` too, as PHP and some Java libraries write it), HTML-escaped and URL-encoded;
    longest first, so a longer spelling is replaced before a shorter one inside it. None for
    a key under 8 characters: replacing it would mangle ordinary text."""
    if len(value) < 8:
        return []
    in_json = json.dumps(value)[1:-1]
    spellings = {
        value,
        in_json,
        in_json.replace("/", "\\/"),
        html.escape(value),
        html.escape(value, quote=False),
        quote(value, safe=""),
        quote_plus(value, safe=""),
    }
    return sorted((s.encode() for s in spellings), key=len, reverse=True)


class Secret:
    __slots__ = ("_value",)
    _value: str

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret takes a str")
        object.__setattr__(self, "_value", value.strip())

    def reveal(self) -> str:
        return self._value

    @property
    def masked(self) -> str:
        return mask_key(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return f"Secret({self.masked!r})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError("Secret is immutable")

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret is not picklable")
