"""The signed revocation list every auth replica serves alike.

The list is built from the store, signed with the current key (`typ` revocations+jwt), and
kept until the store's version moves, an entry in it expires, the signing key changes or
half its lifetime has passed. Its ETag is a digest of what it says (entries and signing
key), not of its bytes, so every replica gives the same ETag for the same content and a
verifier's `If-None-Match` is answered `304` by whichever replica it reaches.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import anyio

from auth_service.keys import KeyRing
from auth_service.revocations.model import as_list
from auth_service.revocations.port import RevocationStore
from shared.tokens.jws import sign
from shared.tokens.revocations import REVOCATIONS_TYPE, revocations_payload

__all__ = ["RevocationPublisher"]


@dataclass(frozen=True, slots=True)
class _Built:
    version: int
    kid: str
    issued_at: float
    valid_until: float
    body: bytes
    etag: str


class RevocationPublisher:
    """Builds, signs and keeps the revocation list document."""

    def __init__(
        self,
        store: RevocationStore,
        keys: KeyRing,
        *,
        issuer: str,
        lifetime: int = 600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.keys = keys
        self.issuer = issuer
        self.lifetime = lifetime
        self.clock = clock
        self._built: _Built | None = None
        self._lock = anyio.Lock()

    async def document(self) -> tuple[bytes, str]:
        """The list as a compact JWS, and its ETag."""
        version = await self.store.version()
        now = self.clock()
        kid = self.keys.signing(now).kid
        built = self._built
        if built is None or not self._fresh(built, version, kid, now):
            async with self._lock:  # one build at a time; those waiting take its result
                built = self._built
                if built is None or not self._fresh(built, version, kid, now):
                    built = self._built = await self._build(version, now)
        return built.body, built.etag

    def _fresh(self, built: _Built, version: int, kid: str, now: float) -> bool:
        return (
            built.version == version
            and built.kid == kid
            and now < built.valid_until
            and now < built.issued_at + self.lifetime / 2
        )

    async def _build(self, version: int, now: float) -> _Built:
        entries = await self.store.live(now)
        listed = as_list(entries, issued_at=now, expires_at=now + self.lifetime)
        payload = revocations_payload(
            issuer=self.issuer,
            issued_at=int(now),
            lifetime=self.lifetime,
            sids=list(listed.sids),
            jtis=list(listed.jtis),
            kids=list(listed.kids),
            subs=listed.subs,
        )
        key = self.keys.signing(now)
        content = {k: v for k, v in payload.items() if k not in ("iat", "exp")}
        digest = hashlib.sha256(
            json.dumps([content, key.kid], sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest()
        header = {"kid": key.kid, "typ": REVOCATIONS_TYPE}
        token = await anyio.to_thread.run_sync(lambda: sign(header, payload, key.private_key))
        return _Built(
            version=version,
            kid=key.kid,
            issued_at=now,
            valid_until=min((e.expires_at for e in entries), default=now + self.lifetime),
            body=token.encode("ascii"),
            etag=f'"{digest[:32]}"',
        )
