"""An API key that cannot leak by accident.

The value is reachable only through :meth:`Secret.reveal`; every other way a
Python object turns into text (repr, str, format, pickling, logging) shows a
masked form with at most the first 3 and last 4 characters.
"""

from __future__ import annotations

from typing import Any, NoReturn


def mask_key(value: str) -> str:
    """At most the first 3 and last 4 characters; short keys show less."""
    if len(value) >= 16:
        return f"{value[:3]}…{value[-4:]}"
    if len(value) >= 8:
        return f"…{value[-2:]}"
    return "…" if value else "(empty)"


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
