"""Daily quotas: pictures vended per user per UTC day, charged all-or-nothing.

`QuotaStore` is the port; `SQLQuotaStore` keeps counters in SQLite or PostgreSQL with one
conditional upsert per charge, so concurrent requests can never vend past the limit.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import Column, Integer, MetaData, PrimaryKeyConstraint, String, Table, text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import ping
from shared.stores import store_call

__all__ = [
    "CHARGE_SQL",
    "PRUNE_SQL",
    "USAGE_SQL",
    "Quota",
    "QuotaExceeded",
    "QuotaStore",
    "SQLQuotaStore",
    "quota_day",
]

DAY = 86400


@dataclass(frozen=True, slots=True)
class Quota:
    """One user's standing for one UTC day."""

    limit: int
    used: int
    resets_at: datetime

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def seconds_to_reset(self, now: float) -> int:
        return max(1, math.ceil(_epoch(self.resets_at) - now))

    def as_dict(self) -> dict[str, object]:
        return {
            "limit": self.limit,
            "used": self.used,
            "remaining": self.remaining,
            "resets_at": _rfc3339(self.resets_at),
        }

    def as_json(self) -> str:
        """`as_dict()` as compact JSON text: integers and a fixed-format instant."""
        return (
            f'{{"limit":{self.limit},"used":{self.used},"remaining":{self.remaining},'
            f'"resets_at":"{_rfc3339(self.resets_at)}"}}'
        )

    def headers(self, now: float) -> dict[str, str]:
        """RateLimit (IETF httpapi draft) and the older X-RateLimit-* headers."""
        reset_at = _epoch(self.resets_at)
        remaining = self.remaining
        return {
            "RateLimit-Policy": f'"daily";q={self.limit};w={DAY}',
            "RateLimit": f'"daily";r={remaining};t={self.seconds_to_reset(now)}',
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(int(reset_at)),
        }


# Every answer formats the same few instants (the day's reset): do it once each.
@functools.lru_cache(maxsize=8)
def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@functools.lru_cache(maxsize=8)
def _epoch(moment: datetime) -> float:
    return moment.timestamp()


class QuotaExceeded(Exception):
    """Charging `requested` pictures would pass the day's limit; nothing was charged."""

    def __init__(self, quota: Quota, requested: int) -> None:
        super().__init__(f"quota exceeded: {quota.used}/{quota.limit}, asked {requested}")
        self.quota = quota
        self.requested = requested


def quota_day(now: float) -> tuple[str, datetime]:
    """The UTC day `now` falls in, and the instant it ends."""
    return _utc_day(int(now // DAY))


@functools.lru_cache(maxsize=8)
def _utc_day(number: int) -> tuple[str, datetime]:
    # POSIX time has 86,400 s to every day, so days since the epoch are UTC days.
    start = datetime.fromtimestamp(number * DAY, UTC)
    return start.strftime("%Y-%m-%d"), start + timedelta(days=1)


class QuotaStore(Protocol):
    """Atomic per-user, per-day counters."""

    async def charge(self, subject: str, amount: int, limit: int, now: float) -> Quota:
        """Add `amount` if the total stays within `limit`, else raise `QuotaExceeded`."""
        ...

    async def usage(self, subject: str, limit: int, now: float) -> Quota: ...
    async def ready(self) -> bool: ...


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
# sum stays within the limit. SQLite and PostgreSQL both take this as written, and so does
# the raw sqlite3 adapter (`sqlite_quota.py`), which shares these texts.
CHARGE_SQL = """
    INSERT INTO quota_usage (subject, day, used) VALUES (:subject, :day, :amount)
    ON CONFLICT (subject, day) DO UPDATE SET used = quota_usage.used + excluded.used
    WHERE quota_usage.used + excluded.used <= :limit
    RETURNING used
    """
USAGE_SQL = "SELECT used FROM quota_usage WHERE subject = :subject AND day = :day"
PRUNE_SQL = "DELETE FROM quota_usage WHERE day < :day"
_CHARGE = text(CHARGE_SQL)
_USAGE = text(USAGE_SQL)
_PRUNE = text(PRUNE_SQL)


class SQLQuotaStore:
    """Quotas in SQLite (the embedded default) or PostgreSQL."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def prune(self, now: float) -> None:
        """Forget counters of days before yesterday."""
        yesterday, _ = quota_day(now - DAY)
        async with self.engine.begin() as conn:
            await conn.execute(_PRUNE, {"day": yesterday})

    @store_call("quota store")
    async def charge(self, subject: str, amount: int, limit: int, now: float) -> Quota:
        day, resets_at = quota_day(now)
        if amount > limit:
            raise QuotaExceeded(await self.usage(subject, limit, now), amount)
        async with self.engine.begin() as conn:
            used = (
                await conn.execute(
                    _CHARGE, {"subject": subject, "day": day, "amount": amount, "limit": limit}
                )
            ).scalar()
        if used is None:
            raise QuotaExceeded(await self.usage(subject, limit, now), amount)
        return Quota(limit, int(used), resets_at)

    @store_call("quota store")
    async def usage(self, subject: str, limit: int, now: float) -> Quota:
        day, resets_at = quota_day(now)
        async with self.engine.connect() as conn:
            used = (await conn.execute(_USAGE, {"subject": subject, "day": day})).scalar()
        return Quota(limit, int(used or 0), resets_at)

    async def ready(self) -> bool:
        return await ping(self.engine)
