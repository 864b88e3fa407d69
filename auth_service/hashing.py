"""The password-hashing queue: a bounded number of argon2 hashes at once, logins first.

Every hash is CPU and 19 MiB for tens of milliseconds, so only `workers` run at a time and
the rest wait their turn. A waiting login goes before every waiting registration, and with
two workers or more, one is kept for logins (registrations use the others), so a flood of
registrations never makes a login wait for a worker at all. The wait list is
bounded: a registration finds it full when `limit` hashes wait, a login only when `limit`
logins wait (registrations never crowd a login out). Full means `HashingBusy` (503 with
`Retry-After`) at once, instead of a queue that grows with the flood.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TypeVar

import anyio

from shared.errors import Unavailable

__all__ = ["HashQueue", "HashingBusy", "Priority"]

T = TypeVar("T")


class Priority(IntEnum):
    """Who goes first: a lower value is served before a higher one."""

    LOGIN = 0
    REGISTER = 1


class HashingBusy(Unavailable):
    """Too many password hashes wait already; try again in `retry_after` seconds."""

    detail = "the booth is busy checking passwords; try again shortly"

    def __init__(self, retry_after: int = 1) -> None:
        super().__init__(retry_after=retry_after)


@dataclass(order=True)
class _Waiter:
    priority: Priority
    order: int
    event: anyio.Event = field(compare=False, default_factory=anyio.Event)
    granted: bool = field(compare=False, default=False)


class HashQueue:
    """Runs blocking work in worker threads, `workers` at a time, by priority then arrival."""

    def __init__(self, *, workers: int = 4, limit: int = 64) -> None:
        self.workers = workers
        self.limit = limit
        # Registrations may hold all workers but one (when there are two or more).
        self.register_workers = max(1, workers - 1)
        self._running = {Priority.LOGIN: 0, Priority.REGISTER: 0}
        self._waiting: list[_Waiter] = []
        self._order = itertools.count()
        self._threads = anyio.CapacityLimiter(workers)

    def running(self, priority: Priority | None = None) -> int:
        """How many workers are taken (by `priority`, or by any)."""
        if priority is not None:
            return self._running[priority]
        return sum(self._running.values())

    def waiting(self, priority: Priority | None = None) -> int:
        """How many wait (of `priority`, or of any)."""
        return sum(1 for w in self._waiting if priority is None or w.priority == priority)

    async def run(self, priority: Priority, work: Callable[..., T], *args: object) -> T:
        """`work(*args)` in a worker thread once a worker is free and nothing more urgent
        waits; `HashingBusy` at once if the wait list is full for `priority`."""
        await self._acquire(priority)
        try:
            return await anyio.to_thread.run_sync(work, *args, limiter=self._threads)
        finally:
            self._release(priority)

    def _may_start(self, priority: Priority) -> bool:
        if self.running() >= self.workers:
            return False
        return priority is Priority.LOGIN or self._running[priority] < self.register_workers

    async def _acquire(self, priority: Priority) -> None:
        if self._may_start(priority) and not any(w.priority <= priority for w in self._waiting):
            self._running[priority] += 1
            return
        ahead = sum(1 for w in self._waiting if w.priority <= priority)
        if ahead >= self.limit:
            raise HashingBusy()
        waiter = _Waiter(priority, next(self._order))
        heapq.heappush(self._waiting, waiter)
        try:
            await waiter.event.wait()
        except BaseException:
            # Cancelled (the client went away): leave the line, or pass on the turn it got.
            if waiter.granted:
                self._release(priority)
            else:
                self._waiting.remove(waiter)
                heapq.heapify(self._waiting)
            raise

    def _release(self, priority: Priority) -> None:
        self._running[priority] -= 1
        # The most urgent waiter first; if it may not start (a registration while the
        # others hold their share), nobody behind it may either: they are registrations.
        while self._waiting and self._may_start(self._waiting[0].priority):
            waiter = heapq.heappop(self._waiting)
            self._running[waiter.priority] += 1
            waiter.granted = True
            waiter.event.set()
