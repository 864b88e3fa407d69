"""The `QuotaStore` port: atomic per-user, per-day counters."""

from __future__ import annotations

from typing import Protocol

from vending_service.quotas.model import Quota

__all__ = ["QuotaStore"]


class QuotaStore(Protocol):
    """Atomic per-user, per-day counters."""

    async def charge(self, subject: str, amount: int, limit: int, now: float) -> Quota:
        """Add `amount` if the total stays within `limit`, else raise `QuotaExceeded`."""
        ...

    async def usage(self, subject: str, limit: int, now: float) -> Quota: ...
    async def ready(self) -> bool: ...
