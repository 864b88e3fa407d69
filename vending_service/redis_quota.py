"""Quotas in Redis: one Lua script per round trip, shared by every replica.

Charges that arrive while a round trip is under way wait for it and then go together in
the next one: under load one script call charges a whole batch, each charge on its own
terms (all-or-nothing against its own limit), in arrival order. A client command costs
far more Python than the script costs Redis, so this is most of the store's throughput.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from shared.stores import store_call
from vending_service.quota import Quota, QuotaExceeded, quota_day

__all__ = ["RedisQuotaStore"]

# KEYS[i] a day's counter; ARGV[1] "amount limit expire-at" per key, space-separated (one
# argument and one string answer: a redis-py round trip costs Python per item, not per byte).
# Answers "charged:used" per key (charged 1/0), space-separated. A counter moves only when
# it stays within its limit.
_CHARGE = """
local result = {}
local i = 0
for amount, limit, expire_at in string.gmatch(ARGV[1], '(%d+) (%d+) (%d+)') do
  i = i + 1
  local key = KEYS[i]
  local used = tonumber(redis.call('GET', key) or '0')
  if used + tonumber(amount) > tonumber(limit) then
    result[i] = '0:' .. used
  else
    result[i] = '1:' .. redis.call('INCRBY', key, amount)
    redis.call('EXPIREAT', key, expire_at)
  end
end
if i ~= #KEYS then
  return redis.error_reply('charge: ' .. #KEYS .. ' keys, ' .. i .. ' terms')
end
return table.concat(result, ' ')
"""
# Counters outlive their day by an hour, so a clock a little behind still finds them.
_GRACE = 3600
# Charges per script call at most: a bound on how long one call holds Redis.
MAX_BATCH = 128


def _outcome(item: bytes) -> tuple[int, int]:
    """One charge's answer, `b"charged:used"`, as (charged, used)."""
    charged, _, used = item.partition(b":")
    return int(charged), int(used)


@dataclass(slots=True)
class _Charge:
    key: str
    amount: int
    limit: int
    expire_at: int
    future: asyncio.Future[tuple[int, int]]


class RedisQuotaStore:
    """`QuotaStore` on Redis; keys are `lanyard:quota:<day>:<subject>`."""

    def __init__(self, client: Redis, *, prefix: str = "lanyard:quota") -> None:
        self.client = client
        self.prefix = prefix
        self._charge: Any = client.register_script(_CHARGE)
        self._queue: list[_Charge] = []
        self._sender: asyncio.Task[None] | None = None
        self.round_trips = 0
        """Script calls made: fewer than charges when charges arrive together."""

    def _key(self, subject: str, day: str) -> str:
        return f"{self.prefix}:{day}:{subject}"

    @store_call("quota store")
    async def charge(self, subject: str, amount: int, limit: int, now: float) -> Quota:
        day, resets_at = quota_day(now)
        expire_at = int(resets_at.timestamp()) + _GRACE
        future: asyncio.Future[tuple[int, int]] = asyncio.get_running_loop().create_future()
        self._queue.append(_Charge(self._key(subject, day), amount, limit, expire_at, future))
        if self._sender is None:
            self._sender = asyncio.create_task(self._send())
        ok, used = await future
        quota = Quota(limit, used, resets_at)
        if not ok:
            raise QuotaExceeded(quota, amount)
        return quota

    async def _send(self) -> None:
        """Send queued charges, a batch per round trip, until none are left."""
        batch: list[_Charge] = []
        try:
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                try:
                    terms = " ".join(f"{c.amount} {c.limit} {c.expire_at}" for c in batch)
                    reply = await self._charge(keys=[c.key for c in batch], args=[terms])
                    outcomes = [_outcome(item) for item in reply.split()]
                    if len(outcomes) != len(batch):
                        raise ResponseError(f"{len(outcomes)} answers to {len(batch)} charges")
                except Exception as exc:  # noqa: BLE001 - every charge of the batch fails
                    for charge in batch:
                        if not charge.future.done():
                            charge.future.set_exception(exc)
                    continue
                finally:
                    self.round_trips += 1
                for charge, outcome in zip(batch, outcomes, strict=True):
                    if not charge.future.done():
                        charge.future.set_result(outcome)
        except BaseException:  # cancelled (shutdown): no charge may wait for ever
            for charge in batch + self._queue:
                if not charge.future.done():
                    charge.future.set_exception(ConnectionError("the quota store was closed"))
            self._queue = []
            raise
        finally:
            self._sender = None

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
