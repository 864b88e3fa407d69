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

from shared.tokens.documents import SingleFlight, cancel, fetch_document, max_age
from shared.tokens.errors import JWKSError
from shared.tokens.jwk import parse_jwks

__all__ = ["CachePolicy", "JWKSCache"]

log = logging.getLogger("lanyard.jwks")


def _ignore(outcome: str) -> None:
    return None


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


class JWKSCache:
    """The vending service's view of the auth service's public keys."""

    def __init__(
        self,
        url: str,
        *,
        client: httpx.AsyncClient,
        policy: CachePolicy = CachePolicy(),
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_fetch: Callable[[str], None] = _ignore,
    ) -> None:
        self.url = url
        self.on_fetch = on_fetch
        self.policy = policy
        self._client = client
        self._clock = clock
        self._sleep = sleep
        self._keys: dict[str, RSAPublicKey] = {}
        self._fingerprint: frozenset[tuple[str, int, int]] = frozenset()
        self._etag: str | None = None
        self._expires_at = float("-inf")
        self._last_miss_fetch = float("-inf")
        self._flight = SingleFlight(self._fetch)
        self._background: asyncio.Task[None] | None = None
        self.generation = 0
        """Bumped whenever the key set changes; caches of verified tokens compare it."""
        self.fetches = 0
        self.failures = 0
        self.miss_fetches = 0
        """Fetches made because a token named a key not in the set (a rotation should cause
        none: keys are published before they sign)."""

    @property
    def ready(self) -> bool:
        return bool(self._keys)

    @property
    def keys(self) -> Mapping[str, RSAPublicKey]:
        return self._keys

    async def start(self) -> None:
        """Begin fetching in the background: retry with backoff until the first success."""
        if self._background is None:
            self._background = asyncio.create_task(self._fetch_until_ready())

    async def aclose(self) -> None:
        await cancel(self._background, self._flight.task)

    async def _fetch_until_ready(self) -> None:
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

    async def refresh(self) -> bool:
        """Fetch the key set now, joining a fetch already under way. True on success."""
        return await self._flight()

    async def _fetch(self) -> bool:
        self.fetches += 1
        try:
            status, body, cache_control, etag = await self._download()
            if status == 304 and self._keys:
                self._expires_at = self._clock() + self._ttl(cache_control)
                self.on_fetch("not_modified")
                return True
            if status != 200:
                raise JWKSError(f"the JWKS answered {status}")
            keys = parse_jwks(body)
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
        self._etag = etag
        self._expires_at = self._clock() + self._ttl(cache_control)
        self.on_fetch("ok")
        return True

    async def _download(self) -> tuple[int, bytes, str, str | None]:
        headers = {"Accept": "application/jwk-set+json, application/json"}
        if self._etag and self._keys:
            headers["If-None-Match"] = self._etag
        got = await fetch_document(
            self._client,
            self.url,
            headers=headers,
            within_seconds=self.policy.timeout,
            max_bytes=self.policy.max_bytes,
        )
        return got.status, got.body, got.cache_control, got.etag

    def _ttl(self, cache_control: str) -> float:
        lowered = cache_control.lower()
        if "no-store" in lowered or "no-cache" in lowered:
            return self.policy.min_ttl
        ttl = max_age(cache_control)
        ttl = self.policy.default_ttl if ttl is None else ttl
        return max(self.policy.min_ttl, min(ttl, self.policy.max_ttl))
