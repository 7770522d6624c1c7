"""One place for every key: the BINDINGS of the main screen, the ID box and the jobs
panel. The footer reads them (Textual does), and so do F1 help and the command palette
(here): a binding's ``description`` is its footer label, its ``tooltip`` the sentence
that help and the palette show. A key without a tooltip is not listed (cursor keys)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from textual.binding import Binding, BindingType

_NAMES = {
    "slash": "/",
    "question_mark": "?",
    "space": "space",
    "enter": "enter",
    "escape": "esc",
    "delete": "del",
    "pageup": "PgUp",
    "pagedown": "PgDn",
}


def key_label(key: str) -> str:
    """ "f2" -> "F2", "slash" -> "/", "ctrl+u" stays, "up,k" -> "up / k"."""
    parts = []
    for one in key.split(","):
        one = one.strip()
        if len(one) in (2, 3) and one[0] == "f" and one[1:].isdigit():
            parts.append(one.upper())
        else:
            parts.append(_NAMES.get(one, one))
    return " / ".join(parts)


def fit_keys(text: str, width: int) -> str:
    """``text`` as it is where it fits ``width`` cells, else with 'ctrl+u' written '^u'
    (the footer's notation): at 80 columns the ID box's title ended 'ctrl+w watch · ctr…'
    and the empty panel's hint 'ctrl+d deploys, ct…'."""
    return text if len(text) <= width else text.replace("ctrl+", "^")


@dataclass(frozen=True)
class KeyHelp:
    key: str  # as shown
    where: str  # "anywhere", "ID box", "jobs"
    action: str  # the binding's action, namespace included ("screen.recheck")
    text: str  # the tooltip


def described(bindings: Iterable[BindingType], where: str) -> list[KeyHelp]:
    out = []
    for binding in bindings:
        if isinstance(binding, Binding) and binding.tooltip:
            # A printable key without priority is text where a text box has the focus
            # ("E anywhere" typed an E into the ID box): it works from the jobs panel, the
            # one place with the focus that is not a text box.
            here = "jobs" if where == "anywhere" and _typed(binding) else where
            out.append(KeyHelp(key_label(binding.key), here, binding.action, binding.tooltip))
    return out


def _typed(binding: Binding) -> bool:
    return not binding.priority and all(len(key) == 1 for key in binding.key.split(","))


def _bare(action: str) -> str:
    return action.split(".", 1)[-1]


def all_keys(
    screen: Iterable[BindingType], jobs: Iterable[BindingType], filter_box: Iterable[BindingType]
) -> list[KeyHelp]:
    """Every described key of the console, in the order help lists them. An action bound
    to several keys (F3 anywhere, h in the jobs panel) is one row: "F3 / h". The caller
    passes the bindings (kore_tui.tui.screens.main.console_keys), so this module imports no
    screen and no screen import loops back here."""
    screen, jobs = list(screen), list(jobs)
    rows = described(screen, "anywhere") + described(jobs, "jobs") + described(filter_box, "filter")
    # An alias works where its own bindings do: "F3 / h" is F3 anywhere, h in the jobs
    # panel ("anywhere" for both typed an h into the ID box).
    aliases: dict[str, list[tuple[str, str]]] = {}
    for bindings, where in ((screen, "anywhere"), (jobs, "jobs")):
        for binding in bindings:
            if isinstance(binding, Binding) and not binding.tooltip:
                here = "jobs" if _typed(binding) else where
                aliases.setdefault(_bare(binding.action), []).append((key_label(binding.key), here))
    rows_out = []
    for row in rows:
        also = aliases.get(_bare(row.action), [])
        wheres = [row.where, *(where for _key, where in also)]
        shown_where = row.where if len(set(wheres)) == 1 else " / ".join(wheres)
        keys = " / ".join([row.key, *(key for key, _where in also)])
        rows_out.append(KeyHelp(keys, shown_where, row.action, row.text))
    return rows_out
