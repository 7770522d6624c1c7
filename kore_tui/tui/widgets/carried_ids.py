"""IDs left in the box when the environment changed: pasted for another environment.

An operator's run typed a staging ID, switched to prod, and found 'Undeploy 1' ready
there: the confirmation names where such IDs came from.
"""

from __future__ import annotations

from collections.abc import Iterable


class CarriedIds:
    def __init__(self) -> None:
        self._carried: tuple[str, frozenset[str]] | None = None

    def carry_over(self, from_env: str, in_box: Iterable[str]) -> None:
        """Kept while any of them is still in the box (typing one more ID did not make the
        others this environment's); a later switch keeps the first origin."""
        here = set(in_box)
        if not self.of(here)[1]:
            self._carried = (from_env, frozenset(here))

    def of(self, ids: Iterable[str]) -> tuple[str | None, int]:
        """The environment some of ``ids`` were pasted for, and how many of them."""
        if self._carried is None:
            return None, 0
        origin, pasted = self._carried
        count = len(pasted.intersection(ids))
        return (origin, count) if count else (None, 0)

    def keep_only_while_in(self, in_box: Iterable[str]) -> None:
        """None of them is in the box any more: an ID typed again is this environment's
        (after ctrl+l, the warning named the old environment for good)."""
        if self.of(in_box)[1] == 0:
            self._carried = None

    def forget(self) -> None:
        self._carried = None
