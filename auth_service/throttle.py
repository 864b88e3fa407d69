"""Login throttling: failures only, per canonical username and per client address.

A key (a username or an address) that collects `limit` failures within `window` seconds is
locked for `lockout` seconds. A locked key is refused before the password is looked at, so
the answer is the same whether or not the user exists, and even with the right password.

An attempt is counted as a failure the moment it passes the check — in the same store call
— and taken back if the password turns out right. So concurrent guesses cannot all slip
past the check while the slow hash runs, and successes still never count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = ["LoginThrottle", "MemoryThrottleStore", "ThrottleStore", "Throttled"]


class Throttled(Exception):
    """Too many failed logins for this username or address; `retry_after` in seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"throttled for {retry_after}s")
        self.retry_after = retry_after


class ThrottleStore(Protocol):
    """Failure counters with expiry; the Redis adapter keeps them across replicas."""

    async def attempt(
        self, keys: Sequence[tuple[str, int]], window: float, lockout: float, now: float
    ) -> float:
        """If any key is locked, count nothing and return when the last lock ends.

        Otherwise count one failure against each `(key, limit)`, lock each key that reaches
        its limit, and return 0. Atomic: concurrent callers see each other's counts.
        """
        ...

    async def forgive(self, key: str, limit: int) -> None:
        """Take back one counted failure; drop the key's lock if it falls below `limit`."""
        ...

    async def clear(self, key: str) -> None:
        """Forget the key's count and lock."""
        ...

    async def ready(self) -> bool: ...


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


class LoginThrottle:
    """The policy: which keys a login attempt touches, and what a failure costs."""

    def __init__(
        self,
        store: ThrottleStore,
        *,
        user_limit: int = 5,
        address_limit: int = 50,
        window: float = 900,
        lockout: float = 900,
    ) -> None:
        self.store = store
        self.user_limit = user_limit
        self.address_limit = address_limit
        self.window = window
        self.lockout = lockout

    @staticmethod
    def _keys(username: str, address: str) -> tuple[str, str]:
        return f"user:{username}", f"addr:{address}"

    async def attempt(self, username: str, address: str, now: float) -> None:
        """Raise `Throttled` if the username or address is locked; else count this attempt.

        Call `succeeded` if the password was right.
        """
        user_key, address_key = self._keys(username, address)
        keys = [(user_key, self.user_limit), (address_key, self.address_limit)]
        until = await self.store.attempt(keys, self.window, self.lockout, now)
        if until > now:
            raise Throttled(max(1, math.ceil(until - now)))

    async def forgive(self, username: str, address: str) -> None:
        """Take this attempt back from both counts: it ended without a verdict."""
        user_key, address_key = self._keys(username, address)
        await self.store.forgive(user_key, self.user_limit)
        await self.store.forgive(address_key, self.address_limit)

    async def succeeded(self, username: str, address: str) -> None:
        # Only the account's owner can succeed, so their own count may start again;
        # an address's count is never cleared by a success, only this attempt taken back.
        user_key, address_key = self._keys(username, address)
        await self.store.clear(user_key)
        await self.store.forgive(address_key, self.address_limit)
