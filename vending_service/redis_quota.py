"""Quotas in Redis: one round trip per charge (a Lua script), shared by every replica."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from shared.stores import store_call
from vending_service.quota import Quota, QuotaExceeded, quota_day

__all__ = ["RedisQuotaStore"]

# KEYS[1] the day's counter; ARGV amount, limit, expire-at (epoch seconds).
# All-or-nothing: the counter moves only when the sum stays within the limit.
_CHARGE = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local amount = tonumber(ARGV[1])
if used + amount > tonumber(ARGV[2]) then
  return {0, used}
end
used = redis.call('INCRBY', KEYS[1], amount)
redis.call('EXPIREAT', KEYS[1], ARGV[3])
return {1, used}
"""
# Counters outlive their day by an hour, so a clock a little behind still finds them.
_GRACE = 3600


class RedisQuotaStore:
    """`QuotaStore` on Redis; keys are `lanyard:quota:<day>:<subject>`."""

    def __init__(self, client: Redis, *, prefix: str = "lanyard:quota") -> None:
        self.client = client
        self.prefix = prefix
        self._charge: Any = client.register_script(_CHARGE)

    def _key(self, subject: str, day: str) -> str:
        return f"{self.prefix}:{day}:{subject}"

    @store_call("quota store")
    async def charge(self, subject: str, amount: int, limit: int, now: float) -> Quota:
        day, resets_at = quota_day(now)
        expire_at = int(resets_at.timestamp()) + _GRACE
        ok, used = await self._charge(
            keys=[self._key(subject, day)], args=[amount, limit, expire_at]
        )
        quota = Quota(limit, int(used), resets_at)
        if not ok:
            raise QuotaExceeded(quota, amount)
        return quota

    @store_call("quota store")
    async def usage(self, subject: str, limit: int, now: float) -> Quota:
        day, resets_at = quota_day(now)
        used = await self.client.get(self._key(subject, day))
        return Quota(limit, int(used or 0), resets_at)

    async def ready(self) -> bool:
        try:
            return bool(await self.client.ping())
        except Exception:  # noqa: BLE001 - any failure means "not ready"
            return False
