"""A line of counted items ("12 SUCCESS · 3 FAILED · 2 marked") that wraps between items.

A Static wraps at any space: at 80 columns, with every state on the panel, the summary
broke "900 SUCCESS" into "900" at the end of one line and "SUCCESS" at the start of the
next, where a count reads as belonging to the state before it. Rich and Textual break
at every Unicode space (a no-break space too), so the items are laid out here, for the
width they get: an item moves whole to the next line, which starts one column in.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.cells import cell_len
from rich.text import Text
from textual.geometry import Size
from textual.widgets import Static


class Item(NamedTuple):
    text: Text
    separator: str = " · "  # what joins it to the item before it on the same line


def lay_out(items: list[Item], width: int) -> Text:
    """The items joined on lines of at most ``width`` cells (an item wider than the
    line gets a line of its own, where the terminal cuts it)."""
    out = Text()
    used = 0
    for index, item in enumerate(items):
        size = item.text.cell_len
        if index and used + cell_len(item.separator) + size > width:
            out.append("\n ")
            used = 1
        elif index:
            out.append(item.separator)
            used += cell_len(item.separator)
        out.append_text(item.text)
        used += size
    return out


class ItemsLine(Static):
    DEFAULT_CSS = "ItemsLine { height: auto; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._items: list[Item] = []
        self._laid_out_for = -1
        self.shown = Text()  # what it shows now, laid out for its width

    def show_items(self, items: list[Item]) -> None:
        if items != self._items:
            self._items = items
            self._laid_out_for = -1
            self._show(self.content_region.width)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._show(width)
        return super().get_content_height(container, viewport, width)

    def on_resize(self) -> None:
        self._show(self.content_region.width)

    def _show(self, width: int) -> None:
        if width > 0 and width != self._laid_out_for:
            self._laid_out_for = width
            self.shown = lay_out(self._items, width)
            self.update(self.shown)
