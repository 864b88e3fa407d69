"""The verifier's copy of the booth's revocation list, fetched on its own schedule.

One background task polls the list URL as often as its `Cache-Control: max-age` says
(within bounds), with `If-None-Match`; concurrent callers of `refresh` share one fetch. A
list is believed only when its signature verifies with a key from the JWKS, its `typ` is
revocations+jwt, its issuer is ours, it has not expired and it is no older than the list
held. Anything else (and any failed fetch) keeps the last good list. `age` says how long
since the booth last vouched for what is held (a 200, or a 304 while the held list is
unexpired); past the stale limit the service decides what to do (`/readyz`, fail mode).
Each fetch's outcome (ok, not_modified, error, rejected) goes to `on_fetch`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from shared.errors import LanyardError
from shared.tokens.documents import DocumentTooLarge, Fetched, max_age
from shared.tokens.errors import UnknownKey
from shared.tokens.jws import CompactJWS
from shared.tokens.polling import PolledDocument, ignore_outcome
from shared.tokens.revocations import REVOCATIONS_TYPES, RevocationList, read_revocations
from shared.tokens.verifier import KeySource

__all__ = ["RevocationCache", "RevocationPolicy"]

log = logging.getLogger("lanyard.revocations")


@dataclass(frozen=True, slots=True)
class RevocationPolicy:
    """How the list is polled and how much of it is read."""

    timeout: float = 5.0
    max_bytes: int = 32 * 1024 * 1024
    min_interval: float = 1.0
    max_interval: float = 60.0
    default_interval: float = 5.0
    retry_initial: float = 0.5
    retry_max: float = 30.0


class _Rejected(LanyardError):
    """A list that arrived but is not believed."""


class RevocationCache(PolledDocument[RevocationPolicy]):
    """The vending service's view of what the booth has revoked."""

    def __init__(
        self,
        url: str,
        *,
        client: httpx.AsyncClient,
        keys: KeySource,
        issuer: str,
        policy: RevocationPolicy = RevocationPolicy(),
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_fetch: Callable[[str], None] = ignore_outcome,
    ) -> None:
        super().__init__(url, client, policy, sleep, on_fetch)
        self._keys = keys
        self._issuer = issuer
        self._clock = clock
        self._monotonic = monotonic
        self._current: RevocationList | None = None
        self._vouched_at: float | None = None
        self._interval = policy.default_interval
        self.rejected = 0
        """Lists that arrived and were not believed (bad signature, wrong typ, expired...)."""

    @property
    def current(self) -> RevocationList | None:
        return self._current

    def age(self) -> float | None:
        """Seconds since the booth last vouched for the held list; None before the first."""
        if self._vouched_at is None:
            return None
        return self._monotonic() - self._vouched_at

    def stale(self, limit: float) -> bool:
        """Whether the booth has not vouched for a list for `limit` seconds (or ever)."""
        age = self.age()
        return age is None or age > limit

    async def _run(self) -> None:
        """Poll as often as the list says, backing off while fetches fail."""
        delay = self.policy.retry_initial
        while True:
            if await self.refresh():
                delay = self.policy.retry_initial
                await self._sleep(self._interval)
            else:
                await self._sleep(delay)
                delay = min(delay * 2, self.policy.retry_max)

    async def _fetch(self) -> bool:
        self.fetches += 1
        try:
            got = await self._get()
            self._interval = self._ttl(got.cache_control)
            if got.status == 304 and self._held_unexpired():
                self._vouched_at = self._monotonic()
                self.on_fetch("not_modified")
                return True
            if got.status != 200:
                raise _Rejected(f"the revocation list answered {got.status}")
            fresh = await self._read(got.body)
        except _Rejected as exc:
            self.rejected += 1
            self.on_fetch("rejected")
            log.warning("revocation list from %s not believed: %s", self.url, exc.detail)
            return False
        except Exception as exc:  # noqa: BLE001 - any failure keeps the last good list
            self.failures += 1
            self.on_fetch("error")
            log.warning("revocation list fetch from %s failed: %s", self.url, exc)
            return False
        self._current, self._etag, self._vouched_at = fresh, got.etag, self._monotonic()
        self.on_fetch("ok")
        return True

    async def _read(self, body: bytes) -> RevocationList:
        try:
            jws = CompactJWS.parse(body.decode("ascii").strip(), max_bytes=self.policy.max_bytes)
            key = await self._keys.get(jws.kid(REVOCATIONS_TYPES))
            if key is None:
                raise UnknownKey()
            fresh = read_revocations(jws.verify(key), issuer=self._issuer, now=self._clock())
        except (LanyardError, UnicodeDecodeError) as exc:
            raise _Rejected(getattr(exc, "detail", "the list is not a token")) from exc
        held = self._current
        if held is not None and fresh.issued_at < held.issued_at:
            raise _Rejected("the revocation list is older than the one held")
        return fresh

    def _held_unexpired(self) -> bool:
        held = self._current
        return held is not None and held.expires_at > self._clock()

    async def _get(self) -> Fetched:
        try:
            return await self._download("application/jwt", conditional=self._held_unexpired())
        except DocumentTooLarge as exc:
            raise _Rejected(exc.detail) from exc

    def _ttl(self, cache_control: str) -> float:
        interval = max_age(cache_control)
        interval = self.policy.default_interval if interval is None else interval
        return max(self.policy.min_interval, min(interval, self.policy.max_interval))
