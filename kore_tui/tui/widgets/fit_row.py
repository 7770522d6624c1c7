"""A row of widgets that shows only the ones that fit whole, first ones first.

Textual lays a horizontal row out at the widgets' natural widths and cuts what runs past
its container: the footer showed "f3 Hi▏^p palettel", the ID box's buttons "Watch 0
Loa". The widgets that do not fit are hidden instead (what they do stays reachable by
its key, listed in F1) and are shown again once the row is wide enough.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.css.scalar import Unit
from textual.geometry import Size
from textual.widget import Widget


def natural_width(widget: Widget, container: Size) -> int:
    """The cells ``widget`` takes when shown (content, padding, border, its min-width in
    cells, margin), whether or not it is shown now."""
    styles = widget.styles
    width = widget.get_content_width(container, container) + styles.gutter.width
    minimum = styles.min_width
    if minimum is not None and minimum.unit is Unit.CELLS:
        width = max(width, int(minimum.value))
    return width + styles.margin.width


def show_what_fits(widgets: Iterable[Widget], room: int, container: Size) -> None:
    """Show ``widgets`` in order while they fit in ``room`` cells; hide the rest."""
    used = 0
    fits = True
    for widget in widgets:  # once one does not fit, none after it is shown
        width = natural_width(widget, container)
        # The last one shown needs no room for its right margin: nothing follows it.
        fits = fits and used + width - widget.styles.margin.right <= room
        used += width
        if widget.display != fits:
            widget.display = fits
