"""One way to share round trips: calls that arrive while one is under way go together next.

A store adapter whose round trip costs more than the work it carries (a thread hop, a
network call, a script on Redis) hands each call to a `Batcher`. The first call starts a
round trip at once (on the next turn of the event loop, so every call made in this turn
joins it); calls made while it is under way wait for it to end and then go together in the
following one. Each caller gets its own result or its own exception; a caller that gives
up (cancelled) leaves the round trip to the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeAlias, TypeVar, Union

__all__ = ["Batcher", "Outcome"]

T = TypeVar("T")
R = TypeVar("R")
Outcome: TypeAlias = Union[R, BaseException]  # noqa: UP007 - a generic alias needs Union
"""What a round trip gives one call: its result, or the exception to raise in its caller."""


class Batcher(Generic[T, R]):
    """Runs `flush(items)` for the calls queued since the last round trip began."""

    def __init__(
        self,
        flush: Callable[[list[T]], Awaitable[Sequence[R | BaseException]]],
        *,
        max_batch: int = 1024,
    ) -> None:
        self._flush = flush
        self.max_batch = max_batch
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._sender: asyncio.Task[None] | None = None
        self.round_trips = 0
        """Round trips made: fewer than calls when calls arrive together."""

    async def submit(self, item: T) -> R:
        """`item`'s outcome from the next round trip that carries it."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._sender is None:
            self._sender = asyncio.create_task(self._send())
        return await future

    async def _send(self) -> None:
        batch: list[tuple[T, asyncio.Future[R]]] = []
        try:
            while self._queue:
                batch = self._queue[: self.max_batch]
                self._queue = self._queue[self.max_batch :]
                self.round_trips += 1
                try:
                    outcomes = await self._flush([item for item, _ in batch])
                    if len(outcomes) != len(batch):
                        raise RuntimeError(f"{len(outcomes)} outcomes for {len(batch)} calls")
                except Exception as exc:  # noqa: BLE001 - every call of the batch fails with it
                    outcomes = [exc] * len(batch)
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if future.done():  # its caller gave up
                        continue
                    if isinstance(outcome, BaseException):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
                batch = []
        except BaseException:  # cancelled (shutdown): no caller may wait for ever
            for _, future in batch + self._queue:
                if not future.done():
                    future.set_exception(ConnectionError("the store was closed"))
            self._queue = []
            raise
        finally:
            self._sender = None

    async def aclose(self) -> None:
        """Let the round trips already queued finish."""
        while self._sender is not None:
            await asyncio.shield(self._sender)
