"""Helpers shared by engine, CLI and console tests."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from kore_tui.core.api_client import KoreClient
from kore_tui.core.config import Environment
from kore_tui.core.engine import Engine, EngineSettings
from kore_tui.core.job import Job
from kore_tui.core.journal import Journal
from kore_tui.core.schedule import PollSchedule
from kore_tui.core.secret import Secret
from tests.conftest import SENTINEL_KEY

FAST = EngineSettings(
    concurrency=16,
    requests_per_second=0.0,
    schedule=PollSchedule(initial=0.05, growth=0.2, cap=0.3),
    job_timeout=20.0,
    not_found_grace=2.0,
    default_rate_pause=0.1,
)


def make_engine(
    url: str,
    *,
    journal: Journal | None = None,
    settings: EngineSettings = FAST,
    read_only: bool = False,
    env_name: str = "sim",
    transport: httpx.AsyncBaseTransport | None = None,
) -> Engine:
    env = Environment(env_name, url, read_only=read_only)
    client = KoreClient(
        url, Secret(SENTINEL_KEY), transport=transport, max_connections=settings.concurrency + 4
    )
    return Engine(env, client, journal=journal, settings=settings)


def job_of(engine: Engine, key: str) -> Job:
    """The engine's current snapshot of a job it tracks; fails the test when it has none."""
    job = engine.store.get(key)
    assert job is not None, f"no job {key} in the engine's store"
    return job


# Test clients talk plain http to a loopback simulator: verify=False only skips building a
# TLS context (~20 ms of CPU per client, paid hundreds of times over a run).
async def admin(url: str, path: str, method: str = "GET", **kw: Any) -> Any:
    async with httpx.AsyncClient(
        verify=False, base_url=url, headers={"x-api-key": SENTINEL_KEY}
    ) as http:
        r = await http.request(method, path, **kw)
        r.raise_for_status()
        return r.json()


def admin_sync(url: str, path: str, method: str = "GET", **kw: Any) -> Any:
    with httpx.Client(verify=False, base_url=url, headers={"x-api-key": SENTINEL_KEY}) as http:
        r = http.request(method, path, **kw)
        r.raise_for_status()
        return r.json()


async def until(
    predicate: Callable[[], object],
    timeout: float = 10.0,
    *,
    pause: Callable[[float], Awaitable[object]] = asyncio.sleep,
    interval: float = 0.02,
    what: str = "condition",
) -> None:
    """Return as soon as ``predicate()`` is true; fail the test after ``timeout`` seconds.

    Use it instead of a sleep that stands for "by now X has happened": a fixed sleep is
    flaky on a busy machine (or under pytest-xdist) and slow on an idle one. ``predicate``
    may be async (an HTTP check). ``pause`` is how to wait between checks (a Textual
    Pilot's ``pause`` lets the app process its messages meanwhile).
    """
    deadline = time.monotonic() + timeout
    while not await _holds(predicate):
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} not met within {timeout:.1f}s")
        await pause(interval)


async def _holds(predicate: Callable[[], object]) -> bool:
    result = predicate()
    if inspect.isawaitable(result):
        result = await result
    return bool(result)


def until_sync(
    predicate: Callable[[], object],
    timeout: float = 10.0,
    *,
    interval: float = 0.02,
    what: str = "condition",
) -> None:
    """:func:`until` for a test without an event loop (subprocesses, threads)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} not met within {timeout:.1f}s")
        time.sleep(interval)
