"""An async cache of the auth service's public keys, read only from its JWKS URL.

Fetches at start (retrying with backoff), refreshes when the `Cache-Control` lifetime ends
(serving the current keys meanwhile), and on an unknown `kid` at most once per cooldown.
Concurrent callers share one fetch. A failed fetch keeps the last good keys. Each fetch's
outcome (ok, not_modified, error) goes to `on_fetch`: the app counts them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import httpx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from shared.tokens.documents import max_age
from shared.tokens.errors import JWKSError
from shared.tokens.jwk import parse_jwks
from shared.tokens.polling import PolledDocument, ignore_outcome

__all__ = ["CachePolicy", "JWKSCache"]

log = logging.getLogger("lanyard.jwks")
_ACCEPT = "application/jwk-set+json, application/json"


def _fingerprint(keys: Mapping[str, RSAPublicKey]) -> frozenset[tuple[str, int, int]]:
    return frozenset(
        (kid, key.public_numbers().n, key.public_numbers().e) for kid, key in keys.items()
    )


@dataclass(frozen=True, slots=True)
class CachePolicy:
    """How long a fetched key set is fresh, and how fetches are paced."""

    default_ttl: float = 300.0
    min_ttl: float = 30.0
    max_ttl: float = 86400.0
    miss_cooldown: float = 30.0
    timeout: float = 5.0
    max_bytes: int = 64 * 1024
    retry_initial: float = 0.5
    retry_max: float = 30.0


class JWKSCache(PolledDocument[CachePolicy]):
    """The vending service's view of the auth service's public keys."""

    def __init__(
        self,
        url: str,
        *,
        client: httpx.AsyncClient,
        policy: CachePolicy = CachePolicy(),
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_fetch: Callable[[str], None] = ignore_outcome,
    ) -> None:
        super().__init__(url, client, policy, sleep, on_fetch)
        self._clock = clock
        self._keys: dict[str, RSAPublicKey] = {}
        self._fingerprint: frozenset[tuple[str, int, int]] = frozenset()
        self._expires_at = float("-inf")
        self._last_miss_fetch = float("-inf")
        self.generation = 0
        """Bumped whenever the key set changes; caches of verified tokens compare it."""
        self.miss_fetches = 0
        """Fetches made because a token named a key not in the set (a rotation should cause
        none: keys are published before they sign)."""

    @property
    def ready(self) -> bool:
        return bool(self._keys)

    @property
    def keys(self) -> Mapping[str, RSAPublicKey]:
        return self._keys

    async def _run(self) -> None:
        """Fetch at start, retrying with backoff until the first success."""
        delay = self.policy.retry_initial
        while not await self.refresh():
            await self._sleep(delay)
            delay = min(delay * 2, self.policy.retry_max)

    async def get(self, kid: str) -> RSAPublicKey | None:
        """The key named `kid`, fetching the set again if it is unknown (once per cooldown)."""
        now = self._clock()
        if now >= self._expires_at and self.ready:
            self._flight.start()
        key = self._keys.get(kid)
        if key is not None:
            return key
        if not self._flight.running:
            if now - self._last_miss_fetch < self.policy.miss_cooldown:
                return None
            self._last_miss_fetch = now
            self.miss_fetches += 1
            log.info("a token named a key not in the set: fetching the key set again")
        # Concurrent misses join the fetch under way rather than fail while it runs.
        await self.refresh()
        return self._keys.get(kid)

    async def _fetch(self) -> bool:
        self.fetches += 1
        try:
            got = await self._download(_ACCEPT, conditional=bool(self._keys))
            if got.status == 304 and self._keys:
                self._expires_at = self._clock() + self._ttl(got.cache_control)
                self.on_fetch("not_modified")
                return True
            if got.status != 200:
                raise JWKSError(f"the JWKS answered {got.status}")
            keys = parse_jwks(got.body)
        except Exception as exc:  # noqa: BLE001 - any failure must keep the last good keys
            self.failures += 1
            self.on_fetch("error")
            # Keep the last good keys; try again after the shortest lifetime.
            self._expires_at = self._clock() + self.policy.min_ttl
            log.warning("JWKS fetch from %s failed: %s", self.url, exc)
            return False
        fingerprint = _fingerprint(keys)
        if fingerprint != self._fingerprint:
            self._keys = keys
            self._fingerprint = fingerprint
            self.generation += 1
        self._etag = got.etag
        self._expires_at = self._clock() + self._ttl(got.cache_control)
        self.on_fetch("ok")
        return True

    def _ttl(self, cache_control: str) -> float:
        lowered = cache_control.lower()
        if "no-store" in lowered or "no-cache" in lowered:
            return self.policy.min_ttl
        ttl = max_age(cache_control)
        ttl = self.policy.default_ttl if ttl is None else ttl
        return max(self.policy.min_ttl, min(ttl, self.policy.max_ttl))
