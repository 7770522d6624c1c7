"""The shared wait helper: returns as soon as the condition holds, fails when it never does."""

from __future__ import annotations

import time

import pytest

from tests.helpers import until, until_sync


async def test_until_returns_once_the_condition_holds() -> None:
    calls = 0

    def third_time() -> bool:
        nonlocal calls
        calls += 1
        return calls >= 3

    started = time.monotonic()
    await until(third_time, 5, interval=0.01)
    assert calls == 3 and time.monotonic() - started < 1


async def test_until_awaits_an_async_condition() -> None:
    seen: list[int] = []

    async def check() -> bool:
        seen.append(1)
        return len(seen) == 2

    await until(check, 5, interval=0.01)
    assert len(seen) == 2


async def test_until_fails_the_test_when_the_condition_never_holds() -> None:
    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"the job ended not met within 0\.2s"):
        await until(lambda: False, 0.2, what="the job ended")
    assert 0.2 <= time.monotonic() - started < 1


def test_until_sync_polls_without_an_event_loop() -> None:
    deadline = time.monotonic() + 0.1
    until_sync(lambda: time.monotonic() >= deadline, 5, interval=0.01)
    with pytest.raises(AssertionError, match="condition not met"):
        until_sync(lambda: False, 0.05)
