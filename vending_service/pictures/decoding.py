"""`DecodeSlots`: how many uploads are decoded at once, and how many may wait for a turn.

Decoding runs in worker threads (anyio's pool has 40), and each decode holds its pixels in
memory: without a bound, eight hostile uploads at once took the vending process from 147 to
1,220 MiB (issue 15). With `IMAGE_DECODE_CONCURRENCY` slots, memory for pixels is at most
that many images at the pixel limit; uploads beyond the slots and the queue
(`IMAGE_DECODE_QUEUE`) are refused at once with `503` + `Retry-After`, not parked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread

from vending_service.errors import DecodersBusy

__all__ = ["DecodeSlots"]

T = TypeVar("T")


class DecodeSlots:
    """Run CPU-bound image work in a worker thread, `concurrency` at a time."""

    def __init__(self, concurrency: int, queue: int) -> None:
        self.concurrency = concurrency
        self.queue = queue
        self._limiter: anyio.CapacityLimiter | None = None
        self._admitted = 0

    @property
    def admitted(self) -> int:
        """Decodes running or waiting for a slot now."""
        return self._admitted

    async def run(self, work: Callable[[], T]) -> T:
        """`work()` in a worker thread once a slot is free; `DecodersBusy` when the slots and
        the queue are all taken."""
        if self._admitted >= self.concurrency + self.queue:
            raise DecodersBusy()
        if self._limiter is None:  # made on first use, inside the running event loop
            self._limiter = anyio.CapacityLimiter(self.concurrency)
        self._admitted += 1
        try:
            return await anyio.to_thread.run_sync(work, limiter=self._limiter)
        finally:
            self._admitted -= 1
