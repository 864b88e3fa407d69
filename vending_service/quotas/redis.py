"""Quotas in Redis: one Lua script per round trip, shared by every replica.

Charges that arrive while a round trip is under way go together in the next one (a
`Batcher`): under load one script call charges a whole batch, each charge on its own terms
(all-or-nothing against its own limit), in arrival order. A client command costs far more
Python than the script costs Redis, so this is most of the store's throughput
(docs/benchmarks.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from shared.stores.batcher import Batcher, Outcome
from shared.stores.failures import store_call
from vending_service.quotas.model import Quota, QuotaExceeded, quota_day

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


@dataclass(frozen=True, slots=True)
class _Charge:
    key: str
    amount: int
    limit: int
    expire_at: int


class RedisQuotaStore:
    """`QuotaStore` on Redis; keys are `lanyard:quota:<day>:<subject>`."""

    def __init__(self, client: Redis, *, prefix: str = "lanyard:quota") -> None:
        self.client = client
        self.prefix = prefix
        self._script: Any = client.register_script(_CHARGE)
        self._charges: Batcher[_Charge, tuple[int, int]] = Batcher(self._send, max_batch=MAX_BATCH)

    @property
    def round_trips(self) -> int:
        """Script calls made: fewer than charges when charges arrive together."""
        return self._charges.round_trips

    def _key(self, subject: str, day: str) -> str:
        return f"{self.prefix}:{day}:{subject}"

    @store_call("quota store")
    async def charge(self, subject: str, amount: int, limit: int, now: float) -> Quota:
        day, resets_at = quota_day(now)
        expire_at = int(resets_at.timestamp()) + _GRACE
        charge = _Charge(self._key(subject, day), amount, limit, expire_at)
        ok, used = await self._charges.submit(charge)
        quota = Quota(limit, used, resets_at)
        if not ok:
            raise QuotaExceeded(quota, amount, now)
        return quota

    async def _send(self, batch: list[_Charge]) -> list[Outcome[tuple[int, int]]]:
        """One script call for `batch`: each charge's (charged, used)."""
        terms = " ".join(f"{c.amount} {c.limit} {c.expire_at}" for c in batch)
        reply = await self._script(keys=[c.key for c in batch], args=[terms])
        outcomes: list[Outcome[tuple[int, int]]] = [_outcome(item) for item in reply.split()]
        if len(outcomes) != len(batch):
            raise ResponseError(f"{len(outcomes)} answers to {len(batch)} charges")
        return outcomes

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
