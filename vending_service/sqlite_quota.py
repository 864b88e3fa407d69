"""Quotas in SQLite through the worker thread: the embedded default's fast path.

The same table and the same conditional upsert as `SQLQuotaStore`, so the two agree on
every count, and charges from other processes (or the SQLAlchemy adapter) on the same file
add up exactly. What differs is the path: one hop to the worker thread per charge, and
concurrent charges committed together in one transaction.
"""

from __future__ import annotations

import sqlite3

from shared.stores import store_call
from vending_service.quota import (
    CHARGE_SQL,
    DAY,
    PRUNE_SQL,
    USAGE_SQL,
    Quota,
    QuotaExceeded,
    quota_day,
)
from vending_service.sqlite_worker import SQLiteWorker

__all__ = ["SQLiteQuotaStore"]


class SQLiteQuotaStore:
    """`QuotaStore` on a SQLite file, through a `SQLiteWorker`."""

    def __init__(self, worker: SQLiteWorker) -> None:
        self.worker = worker

    async def prune(self, now: float) -> None:
        """Forget counters of days before yesterday."""
        yesterday, _ = quota_day(now - DAY)
        await self.worker.write(lambda db: db.execute(PRUNE_SQL, {"day": yesterday}).close())

    @store_call("quota store")
    async def charge(self, subject: str, amount: int, limit: int, now: float) -> Quota:
        day, resets_at = quota_day(now)
        if amount > limit:
            raise QuotaExceeded(await self.usage(subject, limit, now), amount)

        def charge(db: sqlite3.Connection) -> int | None:
            params = {"subject": subject, "day": day, "amount": amount, "limit": limit}
            rows = db.execute(CHARGE_SQL, params).fetchall()
            return int(rows[0][0]) if rows else None

        used = await self.worker.write(charge)
        if used is None:
            raise QuotaExceeded(await self.usage(subject, limit, now), amount)
        return Quota(limit, used, resets_at)

    @store_call("quota store")
    async def usage(self, subject: str, limit: int, now: float) -> Quota:
        day, resets_at = quota_day(now)

        def usage(db: sqlite3.Connection) -> int:
            rows = db.execute(USAGE_SQL, {"subject": subject, "day": day}).fetchall()
            return int(rows[0][0]) if rows else 0

        return Quota(limit, await self.worker.read(usage), resets_at)

    async def ready(self) -> bool:
        try:
            await self.worker.read(lambda db: db.execute("SELECT 1").fetchall())
        except Exception:  # noqa: BLE001 - any failure means "not ready"
            return False
        return True
