"""The `ThrottleStore` port: failure counters with expiry, atomic per attempt."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

__all__ = ["ThrottleStore"]


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
