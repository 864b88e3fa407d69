"""Quotas in SQLite (the embedded default) or PostgreSQL: one conditional upsert a charge.

The statements run through a `Statements`: the engine's, or on a SQLite file the worker
thread's (one hop a statement, concurrent charges committed together).
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, PrimaryKeyConstraint, String, Table, text

from shared.stores.failures import store_call
from shared.stores.port import Statements
from vending_service.quotas.model import DAY, Quota, QuotaExceeded, quota_day

__all__ = ["SQLQuotaStore"]

metadata = MetaData()
quota_usage = Table(
    "quota_usage",
    metadata,
    Column("subject", String(64), nullable=False),
    Column("day", String(10), nullable=False),
    Column("used", Integer, nullable=False),
    PrimaryKeyConstraint("subject", "day"),
)

# One statement: insert the first charge of the day, or add to the count only while the
# sum stays within the limit. SQLite and PostgreSQL both take this as written.
_CHARGE = text(
    """
    INSERT INTO quota_usage (subject, day, used) VALUES (:subject, :day, :amount)
    ON CONFLICT (subject, day) DO UPDATE SET used = quota_usage.used + excluded.used
    WHERE quota_usage.used + excluded.used <= :limit
    RETURNING used
    """
)
_USAGE = text("SELECT used FROM quota_usage WHERE subject = :subject AND day = :day")
_PRUNE = text("DELETE FROM quota_usage WHERE day < :day")
_PING = text("SELECT 1")


class SQLQuotaStore:
    """`QuotaStore` on the `quota_usage` table."""

    def __init__(self, statements: Statements) -> None:
        self.statements = statements

    async def prune(self, now: float) -> None:
        """Forget counters of days before yesterday."""
        yesterday, _ = quota_day(now - DAY)
        await self.statements.write(_PRUNE, {"day": yesterday})

    @store_call("quota store")
    async def charge(self, subject: str, amount: int, limit: int, now: float) -> Quota:
        day, resets_at = quota_day(now)
        if amount > limit:
            raise QuotaExceeded(await self.usage(subject, limit, now), amount, now)
        params = {"subject": subject, "day": day, "amount": amount, "limit": limit}
        rows = await self.statements.write(_CHARGE, params)
        if not rows:
            raise QuotaExceeded(await self.usage(subject, limit, now), amount, now)
        return Quota(limit, int(rows[0][0]), resets_at)

    @store_call("quota store")
    async def usage(self, subject: str, limit: int, now: float) -> Quota:
        day, resets_at = quota_day(now)
        rows = await self.statements.read(_USAGE, {"subject": subject, "day": day})
        return Quota(limit, int(rows[0][0]) if rows else 0, resets_at)

    async def ready(self) -> bool:
        try:
            await self.statements.read(_PING, {})
        except Exception:  # noqa: BLE001 - any failure means "not ready"
            return False
        return True
