"""The banner's host on a narrow line: cut in the middle, never made up."""

from __future__ import annotations

import pytest

from kore_tui.tui.widgets.banner import _host_for


@pytest.mark.parametrize(
    "host",
    [
        "http://127.0.0.1:18777",
        "https://agent-platform.kore.ai",
        "https://a-very-long-regional-host-name.agent-platform.kore.ai:8443",
        "http://h:1",
    ],
)
@pytest.mark.parametrize("room", range(0, 70, 3))
def test_a_cut_host_is_its_own_start_and_end_never_longer(host: str, room: int) -> None:
    """An operator's run at 40x12: '127.0.0.…1:18777' for http://127.0.0.1:18777, one
    character longer than the host and reading as another address: a host of 16 cells or
    fewer was 'cut' to 16 with its middle repeated."""
    shown = _host_for(host, room, whole=False)
    bare = host.split("://", 1)[-1]
    if "…" not in shown:
        assert shown in (host, bare)
        return
    head, tail = shown.split("…")
    assert bare.startswith(head) and bare.endswith(tail)
    assert len(head) + len(tail) < len(bare), (shown, bare)
