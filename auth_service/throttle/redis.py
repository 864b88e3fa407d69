"""Login throttling counters in Redis, so limits hold across every auth replica."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from shared.stores.failures import store_call

__all__ = ["RedisThrottleStore"]

# KEYS: count1, lock1, count2, lock2, ...; ARGV: limit1, limit2, ..., window_ms, lockout_ms.
# Returns the longest remaining lock in ms (nothing counted), or 0 after counting.
_ATTEMPT = """
local longest = 0
for i = 2, #KEYS, 2 do
  local ttl = redis.call('PTTL', KEYS[i])
  if ttl > longest then longest = ttl end
end
if longest > 0 then return longest end
local window, lockout = ARGV[#ARGV - 1], ARGV[#ARGV]
for i = 1, #KEYS, 2 do
  local n = redis.call('INCR', KEYS[i])
  if n == 1 then redis.call('PEXPIRE', KEYS[i], window) end
  if n >= tonumber(ARGV[(i + 1) / 2]) then
    redis.call('SET', KEYS[i + 1], '1', 'PX', lockout)
  end
end
return 0
"""
# KEYS: count, lock; ARGV: limit. A count never goes below zero: no credit is banked.
_FORGIVE = """
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n <= 0 then return 0 end
n = redis.call('DECR', KEYS[1])
if n < tonumber(ARGV[1]) then redis.call('DEL', KEYS[2]) end
return n
"""


class RedisThrottleStore:
    """`ThrottleStore` on Redis: one script call per attempt, so replicas cannot race."""

    def __init__(self, client: Redis, *, prefix: str = "lanyard:throttle") -> None:
        self.client = client
        self.prefix = prefix
        self._attempt: Any = client.register_script(_ATTEMPT)
        self._forgive: Any = client.register_script(_FORGIVE)

    def _keys(self, key: str) -> list[str]:
        return [f"{self.prefix}:count:{key}", f"{self.prefix}:lock:{key}"]

    @store_call("throttle store")
    async def attempt(
        self, keys: Sequence[tuple[str, int]], window: float, lockout: float, now: float
    ) -> float:
        redis_keys = [name for key, _ in keys for name in self._keys(key)]
        args = [limit for _, limit in keys] + [int(window * 1000), int(lockout * 1000)]
        remaining_ms = int(await self._attempt(keys=redis_keys, args=args))
        return now + remaining_ms / 1000 if remaining_ms > 0 else 0.0

    @store_call("throttle store")
    async def forgive(self, key: str, limit: int) -> None:
        await self._forgive(keys=self._keys(key), args=[limit])

    @store_call("throttle store")
    async def clear(self, key: str) -> None:
        await self.client.delete(*self._keys(key))

    async def ready(self) -> bool:
        try:
            return bool(await self.client.ping())
        except Exception:  # noqa: BLE001 - any failure means "not ready"
            return False
