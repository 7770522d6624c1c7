"""An asyncio event loop on its own daemon thread, with set-up and tear-down.

The console runs its engine this way and demo mode its simulator, so the UI
loop never serves or parses HTTP. Subclasses implement ``setup`` and
``teardown`` (both run on the thread's loop).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    def __init__(self, name: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stopped = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)

    async def setup(self) -> None:
        """Runs first; an exception here is re-raised by :meth:`start`."""

    async def teardown(self) -> None:
        """Runs after :meth:`stop`, before the loop closes."""

    def start(self, timeout: float = 15.0) -> Any:
        self._thread.start()
        self._ready.wait(timeout)
        if self._error is not None:
            raise self._error
        return self

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self.setup())
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            self._loop.run_forever()
            self._loop.run_until_complete(self.teardown())
        finally:
            self._loop.close()
            self._stopped.set()

    def submit(self, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        """Run ``fn()`` on the thread's loop."""

        async def run() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self._loop)

    def stop(self, timeout: float = 10.0) -> None:
        self.request_stop()
        self.wait_stopped(timeout)

    def request_stop(self) -> None:
        """Ask the loop to stop and tear down; returns at once (see :meth:`wait_stopped`)."""
        if self._thread.is_alive() and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # closed between the check and the call
                self._loop.call_soon_threadsafe(self._loop.stop)

    def wait_stopped(self, timeout: float = 10.0) -> None:
        if self._thread.is_alive():
            self._stopped.wait(timeout)
