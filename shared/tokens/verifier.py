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
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from shared.tokens.claims import ACCESS_TOKEN_TYPES, AccessClaims, ClaimsPolicy, read_claims
from shared.tokens.errors import ExpiredToken, UnknownKey
from shared.tokens.jws import CompactJWS

__all__ = ["KeySource", "TokenVerifier"]


class KeySource(Protocol):
    """Where verification keys come from; `generation` changes when the key set does."""

    generation: int

    async def get(self, kid: str) -> RSAPublicKey | None: ...


class TokenVerifier:
    """Verifies access tokens with keys from a `KeySource`.

    Verified claims are kept in a bounded cache, keyed by a digest of the token, until the
    token expires or the key set changes; `exp` is checked again on every hit. The cache is
    what makes a request with a token already seen cost a dictionary lookup instead of an
    RSA verification (docs/benchmarks.md).
    """

    def __init__(
        self,
        keys: KeySource,
        policy: ClaimsPolicy,
        *,
        cache_size: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = keys
        self.policy = policy
        self._clock = clock
        self._cache_size = cache_size
        self._cache: OrderedDict[bytes, AccessClaims] = OrderedDict()
        self._cache_generation = keys.generation
        self.verifications = 0
        """How many tokens paid for a signature check (cache misses)."""

    async def verify(self, token: str) -> AccessClaims:
        """The claims of `token`, or a `TokenError` saying why it is refused."""
        now = self._clock()
        if self._cache_generation != self._keys.generation:
            self._cache.clear()
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
        jws = CompactJWS.parse(token)
        key = await self._keys.get(jws.kid(ACCESS_TOKEN_TYPES))
        if key is None:
            raise UnknownKey()
        generation = self._keys.generation
        self.verifications += 1
        claims = read_claims(jws.verify(key), self.policy, now)
        if digest and self._cache_generation == generation:
            self._cache[digest] = claims
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return claims
