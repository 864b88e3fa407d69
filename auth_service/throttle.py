"""Login throttling: failures only, per canonical username and per client address.

A key (a username or an address) that collects `limit` failures within `window` seconds is
locked for `lockout` seconds. The check comes before the password is looked at, so a locked
key is refused whether or not the user exists, and even with the right password.
"""

from __future__ import annotations

import math
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

    async def locked_until(self, keys: list[str], now: float) -> float: ...
    async def record_failure(
        self, key: str, limit: int, window: float, lockout: float, now: float
    ) -> None: ...
    async def clear(self, key: str) -> None: ...


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

    async def locked_until(self, keys: list[str], now: float) -> float:
        until = 0.0
        for key in keys:
            counter = self._counters.get(key)
            if counter is not None and counter.locked_until > now:
                until = max(until, counter.locked_until)
        return until

    async def record_failure(
        self, key: str, limit: int, window: float, lockout: float, now: float
    ) -> None:
        counter = self._counters.get(key)
        if counter is None or (counter.window_ends <= now and counter.locked_until <= now):
            if len(self._counters) >= self._max_keys:
                self._prune(now)
            counter = self._counters[key] = _Counter(0, now + window)
        counter.count += 1
        if counter.count >= limit and counter.locked_until <= now:
            counter.locked_until = now + lockout

    async def clear(self, key: str) -> None:
        self._counters.pop(key, None)

    def _prune(self, now: float) -> None:
        expired = [
            k for k, c in self._counters.items() if c.window_ends <= now and c.locked_until <= now
        ]
        for key in expired:
            del self._counters[key]
        if len(self._counters) >= self._max_keys:
            # Still full: forget the oldest windows first rather than grow without bound.
            for key in sorted(self._counters, key=lambda k: self._counters[k].window_ends)[
                : len(self._counters) // 10 or 1
            ]:
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

    async def check(self, username: str, address: str, now: float) -> None:
        """Raise `Throttled` if either the username or the address is locked."""
        until = await self.store.locked_until(list(self._keys(username, address)), now)
        if until > now:
            raise Throttled(max(1, math.ceil(until - now)))

    async def failed(self, username: str, address: str, now: float) -> None:
        user_key, address_key = self._keys(username, address)
        await self.store.record_failure(user_key, self.user_limit, self.window, self.lockout, now)
        await self.store.record_failure(
            address_key, self.address_limit, self.window, self.lockout, now
        )

    async def succeeded(self, username: str, address: str) -> None:
        # Only the account's owner can succeed, so their own count may start again;
        # an address's count is never cleared by a success.
        await self.store.clear(self._keys(username, address)[0])
