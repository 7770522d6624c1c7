"""The ID box's chunked parse: same answer as one parse, and it stops when told."""

from __future__ import annotations

import uuid

from kore_tui.core.ids import parse_ids
from kore_tui.tui.widgets.id_entry import CHUNK_LINES, parse_lines


def test_chunked_parse_equals_a_whole_parse_across_chunk_borders() -> None:
    ids = [f"cm-{uuid.UUID(int=i + 1, version=4)}" for i in range(CHUNK_LINES + 10)]
    lines = [
        "modelId,name",
        *ids,
        ids[0],
        ids[-1].upper(),
        "cm-123",
        "cm-123",
        f"ds-{uuid.UUID(int=7, version=4)}",
    ]
    whole = parse_ids("\n".join(lines))
    chunked = parse_lines(lines)
    assert chunked == whole
    assert chunked is not None and chunked.duplicates == 2 and len(chunked.invalid) == 1


def test_a_parse_stops_when_the_box_changes() -> None:
    lines = [f"cm-{uuid.UUID(int=i + 1, version=4)}" for i in range(CHUNK_LINES * 5)]
    checks: list[int] = []

    def cancelled() -> bool:
        checks.append(1)
        return len(checks) > 2

    assert parse_lines(lines, cancelled) is None
    assert len(checks) == 3  # stopped at the third chunk, not after all five
