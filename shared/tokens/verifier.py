"""Verifying access tokens locally, with keys from the JWKS, never calling the issuer.

A token is accepted only if it is a compact JWS with `alg` exactly RS256 and `typ` at+jwt,
its `kid` names a key in the key set, the signature verifies, `iss` and `aud` match,
`exp` is in the future, `nbf`/`iat` are not (with a small leeway), and `sub` is present.
Header parameters that point at keys (`jku`, `x5u`, `jwk`, `x5c`) are refused, never
followed.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from shared.tokens.claims import ACCESS_TOKEN_TYPES, AccessClaims, ClaimsPolicy, read_claims
from shared.tokens.errors import ExpiredToken, RevokedToken, UnknownKey
from shared.tokens.jws import CompactJWS
from shared.tokens.revocations import RevocationList

__all__ = ["KeySource", "RevocationSource", "TokenVerifier"]

# Distinct accepted headers kept: an issuer uses one per key, so a few suffice.
_KEPT_HEADERS = 64


class KeySource(Protocol):
    """Where verification keys come from; `generation` changes when the key set does."""

    generation: int

    async def get(self, kid: str) -> RSAPublicKey | None: ...


class RevocationSource(Protocol):
    """Where the revocation list comes from; `current` is None until one was had."""

    @property
    def current(self) -> RevocationList | None: ...


class TokenVerifier:
    """Verifies access tokens with keys from a `KeySource`.

    Verified claims are kept in a bounded cache, keyed by a digest of the token, until the
    token expires or the key set changes; `exp` is checked again on every hit. The cache is
    what makes a request with a token already seen cost a dictionary lookup instead of an
    RSA verification (docs/benchmarks.md). The revocation list, when there is one, is
    consulted on every call, cached or not: a cached token is refused the moment the list
    names it.

    An issuer signs with one header per key, so accepted headers (as sent) are kept too, a
    few at most, and a token never seen before skips decoding and checking its header again:
    what that buys a first sight is in docs/benchmarks.md.
    """

    def __init__(
        self,
        keys: KeySource,
        policy: ClaimsPolicy,
        *,
        cache_size: int = 10_000,
        clock: Callable[[], float] = time.time,
        revocations: RevocationSource | None = None,
    ) -> None:
        self._keys = keys
        self._revocations = revocations
        self.policy = policy
        self._clock = clock
        self._cache_size = cache_size
        self._cache: OrderedDict[bytes, AccessClaims] = OrderedDict()
        self._cache_generation = keys.generation
        # Accepted headers (base64url as sent) and their JSON, for keys that exist.
        self._headers: dict[str, dict[str, Any]] = {}
        self.verifications = 0
        """How many tokens paid for a signature check (cache misses)."""

    async def verify(self, token: str) -> AccessClaims:
        """The claims of `token`, or a `TokenError` saying why it is refused."""
        claims = await self._verified(token)
        revoked = self._revocations.current if self._revocations is not None else None
        if revoked is not None and revoked.refuses(claims):
            raise RevokedToken()
        return claims

    async def _verified(self, token: str) -> AccessClaims:
        now = self._clock()
        if self._cache_generation != self._keys.generation:
            self._cache.clear()
            self._headers.clear()
            self._cache_generation = self._keys.generation
        digest = b""
        if self._cache_size:
            digest = hashlib.blake2b(token.encode("utf-8", "replace"), digest_size=20).digest()
            cached = self._cache.get(digest)
            if cached is not None:
                if now > cached.exp + self.policy.leeway:
                    del self._cache[digest]
                    raise ExpiredToken()
                self._cache.move_to_end(digest)
                return cached
        jws = CompactJWS.parse(token, headers=self._headers)
        kid = jws.kid(ACCESS_TOKEN_TYPES)
        key = await self._keys.get(kid)
        if key is None:
            raise UnknownKey()
        if len(self._headers) < _KEPT_HEADERS:
            self._headers.setdefault(jws.header_segment, jws.header)
        generation = self._keys.generation
        self.verifications += 1
        claims = read_claims(jws.verify(key), self.policy, now, kid=kid)
        if digest and self._cache_generation == generation:
            self._cache[digest] = claims
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return claims
