"""When each job's next request goes out: one loop over a heap of due times.

Not a task per job: one loop pops due entries and starts a short task for
each, under a concurrency cap (a semaphore), a per-host requests-per-second
cap (evenly spaced slots) and a host-wide pause after a 429. The operator's
pause stops the loop between requests; requests in flight finish.

Sends (a job's POST) and checks (Get Dock Status) wait in two heaps, and while
both have work due they take turns. One heap by due time put 3,020 POSTs (all
due at once) before every first check: under the 20 requests/s cap no job was
verified for 2.5 minutes, a FAILED undeploy was seen that late, and "re-check
now" waited behind the queue. Taking turns gives each at least half the slots
while the other is backlogged, and all of them when it is not.
"""

from __future__ import annotations

import asyncio
import functools
import heapq
import itertools
from collections.abc import Callable, Coroutine
from typing import Any, NamedTuple

from kore_tui.core.schedule import RateLimiter
from kore_tui.core.track import Track

Work = Callable[[str, int], Coroutine[Any, Any, None]]


class Due(NamedTuple):
    at: float  # on the engine's clock
    seq: int  # ties run in the order they were scheduled
    key: str
    gen: int  # the job's Track.gen when scheduled: an older one means skip it


class Scheduler:
    def __init__(
        self,
        clock: Callable[[], float],
        *,
        concurrency: int,
        requests_per_second: float,
        on_host_pause: Callable[[float | None], None],
        sends: Callable[[str], bool] = lambda key: False,
    ) -> None:
        self._clock = clock
        self.tracks: dict[str, Track] = {}  # every job this engine may send or check
        self._sends = sends  # whether a job's next request is its POST (else a check)
        self._checks: list[Due] = []
        self._posts: list[Due] = []
        self._post_next = False  # whose turn it is when both heaps have work due
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._running = asyncio.Event()
        self._running.set()
        self._slots = asyncio.Semaphore(concurrency)
        self._limiter = RateLimiter(requests_per_second)
        self._paused_until = 0.0  # the host pause after a 429, on the engine's clock
        self._on_host_pause = on_host_pause  # seconds of a new pause, None when it ends
        self.tasks: set[asyncio.Task[None]] = set()
        self._in_flight: dict[str, asyncio.Task[None]] = {}

    # -- jobs ---------------------------------------------------------------------------

    def add(self, key: str, started: float, deadline: float) -> Track:
        track = Track(started=started, deadline=deadline)
        self.tracks[key] = track
        return track

    def restart(self, key: str) -> Track:
        """The job's track, its pending schedule invalidated (for a retry or a re-check)."""
        track = self.tracks.setdefault(key, Track())
        track.gen += 1
        return track

    def stop(self, key: str) -> None:
        """Nothing more for this job: drop its schedule and cancel its request in flight."""
        track = self.tracks.get(key)
        if track:
            track.gen += 1
        task = self._in_flight.pop(key, None)
        if task is not None:
            task.cancel()

    def schedule(self, key: str, delay: float) -> None:
        track = self.tracks.get(key)
        if track is None:
            return
        heap = self._posts if self._sends(key) else self._checks
        heapq.heappush(heap, Due(self._clock() + delay, next(self._seq), key, track.gen))
        self._wake.set()

    # -- pauses -------------------------------------------------------------------------

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()
        self._wake.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def pause_host(self, seconds: float) -> float:
        """Hold every request for ``seconds`` (a longer pause in force wins); returns
        how long the host is paused from now."""
        until = self._clock() + seconds
        if until > self._paused_until:
            self._paused_until = until
            self._on_host_pause(seconds)
        return self._paused_until - self._clock()

    def held_back(self) -> bool:
        """Paused by the operator or by a 429: no request may start now."""
        return self._paused_until > self._clock() or not self._running.is_set()

    def host_pause_left(self) -> float:
        return max(0.0, self._paused_until - self._clock())

    async def rate_slot(self) -> None:
        """Wait for this host's next request slot."""
        wait = self._limiter.reserve(self._clock())
        if wait > 0:
            await asyncio.sleep(wait)

    # -- the loop -----------------------------------------------------------------------

    async def run(self, work: Work) -> None:
        while True:
            await self._running.wait()
            now = self._clock()
            if self._paused_until > now:
                await asyncio.sleep(self._paused_until - now)
                self._on_host_pause(None)
                continue
            waiting = [heap for heap in (self._checks, self._posts) if heap]
            if not waiting:
                self._wake.clear()
                await self._wake.wait()
                continue
            ready = [heap for heap in waiting if heap[0].at <= now]
            if not ready:
                await self._sleep_or_wake(min(heap[0].at for heap in waiting) - now)
                continue
            heap = ready[0]
            if len(ready) == 2:
                heap = self._posts if self._post_next else self._checks
                self._post_next = not self._post_next
            due = heapq.heappop(heap)
            track = self.tracks.get(due.key)
            if track is None or track.gen != due.gen:
                continue
            await self._start(due, track, work, heap)

    async def _start(self, due: Due, track: Track, work: Work, heap: list[Due]) -> None:
        await self._slots.acquire()
        await self.rate_slot()
        if self.held_back() or track.gen != due.gen:
            self._slots.release()
            if track.gen == due.gen:
                heapq.heappush(heap, due._replace(at=self._paused_until, seq=next(self._seq)))
            return
        task = asyncio.get_running_loop().create_task(work(due.key, due.gen))
        self.tasks.add(task)
        self._in_flight[due.key] = task
        task.add_done_callback(functools.partial(self._done, due.key))

    def _done(self, key: str, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if self._in_flight.get(key) is task:
            del self._in_flight[key]
        self._slots.release()

    async def _sleep_or_wake(self, seconds: float) -> None:
        # Not asyncio.wait_for: on Python 3.11 it can swallow a cancellation that races
        # with the timeout, which left aclose() waiting forever for this loop to stop.
        self._wake.clear()
        timer = asyncio.get_running_loop().call_later(max(seconds, 0.0), self._wake.set)
        try:
            await self._wake.wait()
        finally:
            timer.cancel()

    async def drain(self, grace: float) -> None:
        """Give requests in flight ``grace`` seconds, then cancel them."""
        if not self.tasks:
            return
        _, pending = await asyncio.wait(set(self.tasks), timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=1.0)
