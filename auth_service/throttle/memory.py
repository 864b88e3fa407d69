"""Throttle counters in this process: right for one replica (the embedded default)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["MemoryThrottleStore"]


@dataclass(slots=True)
class _Counter:
    count: int
    window_ends: float
    locked_until: float = 0.0


class MemoryThrottleStore:
    """Counters in this process: right for one replica (the embedded default)."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._counters: dict[str, _Counter] = {}
        self._max_keys = max_keys

    async def attempt(
        self, keys: Sequence[tuple[str, int]], window: float, lockout: float, now: float
    ) -> float:
        # No await inside: on one event loop this runs as one step.
        locked = [c.locked_until for k, _ in keys if (c := self._counters.get(k))]
        until = max((t for t in locked if t > now), default=0.0)
        if until:
            return until
        for key, limit in keys:
            counter = self._counters.get(key)
            if counter is None or counter.window_ends <= now:
                if len(self._counters) >= self._max_keys:
                    self._prune(now)
                counter = self._counters[key] = _Counter(0, now + window)
            counter.count += 1
            if counter.count >= limit:
                counter.locked_until = now + lockout
        return 0.0

    async def forgive(self, key: str, limit: int) -> None:
        counter = self._counters.get(key)
        if counter is None or counter.count == 0:
            return
        counter.count -= 1
        if counter.count < limit:
            # That lock came from an attempt counted before its outcome: undo it with it.
            counter.locked_until = 0.0

    async def clear(self, key: str) -> None:
        self._counters.pop(key, None)

    async def ready(self) -> bool:
        return True

    def _prune(self, now: float) -> None:
        expired = [
            k for k, c in self._counters.items() if c.window_ends <= now and c.locked_until <= now
        ]
        for key in expired:
            del self._counters[key]
        if len(self._counters) >= self._max_keys:
            # Still full: forget the oldest windows first rather than grow without bound.
            oldest = sorted(self._counters, key=lambda k: self._counters[k].window_ends)
            for key in oldest[: len(oldest) // 10 or 1]:
                del self._counters[key]
