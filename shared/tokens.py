"""Verifying access tokens locally, as RFC 8725 and RFC 9068 ask.

A token is accepted only if it is a compact JWS with `alg` exactly RS256 and `typ`
`at+jwt`, its `kid` names a key in the auth service's JWKS, the signature verifies, `iss`
and `aud` match, `exp` is in the future, `nbf`/`iat` are not (with a small leeway), and
`sub` is present. Header parameters that point at keys (`jku`, `x5u`, `jwk`, `x5c`) are
refused, never followed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

__all__ = [
    "AccessClaims",
    "ExpiredToken",
    "InvalidAudience",
    "InvalidClaim",
    "InvalidIssuer",
    "InvalidSignature",
    "KeySource",
    "MalformedToken",
    "TokenError",
    "TokenVerifier",
    "UnknownKey",
    "UnsupportedHeader",
]

MAX_TOKEN_BYTES = 8 * 1024
_COMPACT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_ACCEPTED_TYP = frozenset({"at+jwt", "application/at+jwt"})
# Header parameters that carry or point at keys: an attacker controls them, so a token that
# has one is refused outright (RFC 8725 3.10). `b64` (RFC 7797) changes what is signed.
_REFUSED_HEADERS = frozenset({"jku", "x5u", "jwk", "x5c", "b64", "crit"})
_PKCS1 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()


class TokenError(Exception):
    """Root of every reason a token is refused; `description` is safe to show a client."""

    description = "the access token is invalid"

    def __init__(self, description: str | None = None) -> None:
        super().__init__(description or self.description)
        if description:
            self.description = description


class MalformedToken(TokenError):
    """Not a compact JWS: wrong shape, not base64url, not JSON objects, or over 8 KiB."""

    description = "the access token is malformed"


class UnsupportedHeader(TokenError):
    """`alg` is not exactly RS256, `typ` is not at+jwt, or a refused parameter is present."""

    description = "the access token's header is not accepted"


class UnknownKey(TokenError):
    """`kid` is missing or names no key in the JWKS."""

    description = "the access token was signed by an unknown key"


class InvalidSignature(TokenError):
    """The signature does not verify with the key `kid` names."""

    description = "the access token's signature is invalid"


class InvalidIssuer(TokenError):
    """`iss` is not the configured issuer."""

    description = "the access token has the wrong issuer"


class InvalidAudience(TokenError):
    """`aud` does not name this service."""

    description = "the access token is not meant for this service"


class ExpiredToken(TokenError):
    """`exp` has passed (beyond the leeway)."""

    description = "the access token has expired"


class InvalidClaim(TokenError):
    """A claim is missing, of the wrong type, in the future, or spans too long a lifetime."""

    description = "the access token's claims are invalid"


class KeySource(Protocol):
    """Where verification keys come from; `generation` changes when the key set does."""

    generation: int

    async def get(self, kid: str) -> RSAPublicKey | None: ...


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What a verified access token says about its bearer."""

    sub: str
    scopes: frozenset[str]
    tier: str
    exp: float
    jti: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def _b64decode(segment: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:
        raise MalformedToken() from exc
    # One token, one spelling: the bits left over after the last byte must be zero (RFC 4648
    # 3.5); otherwise sixteen spellings of a signature would all verify.
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != segment:
        raise MalformedToken()
    return raw


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("duplicate member")
    return obj


def _json_object(segment: str) -> dict[str, Any]:
    try:
        value = json.loads(
            _b64decode(segment).decode("utf-8"),
            object_pairs_hook=_unique_object,
            parse_constant=_reject_constant,
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MalformedToken() from exc
    if not isinstance(value, dict):
        raise MalformedToken()
    return value


def _optional_number(claims: dict[str, Any], name: str) -> float | None:
    if name not in claims:
        return None
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidClaim(f"the access token's {name} claim must be a number")
    try:
        number = float(value)
    except OverflowError:  # a JSON integer too large for a float, e.g. 400 digits
        number = math.inf
    if not math.isfinite(number):
        raise InvalidClaim(f"the access token's {name} claim must be a number")
    return number


def _number(claims: dict[str, Any], name: str) -> float:
    value = _optional_number(claims, name)
    if value is None:
        raise InvalidClaim(f"the access token has no {name} claim")
    return value


class TokenVerifier:
    """Verifies access tokens with keys from a `KeySource`, never calling the issuer.

    Verified claims are kept in a bounded cache, keyed by a digest of the token, until the
    token expires or the key set changes; `exp` is checked again on every hit.
    """

    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str,
        audience: str,
        leeway: float = 30.0,
        max_lifetime: float = 3600.0,
        cache_size: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.max_lifetime = max_lifetime
        self._clock = clock
        self._cache_size = cache_size
        self._cache: OrderedDict[bytes, AccessClaims] = OrderedDict()
        self._cache_generation = keys.generation
        self.verifications = 0
        """How many tokens paid for a signature check (cache misses)."""

    async def verify(self, token: str) -> AccessClaims:
        """The claims of `token`, or a `TokenError` saying why it is refused."""
        if len(token) > MAX_TOKEN_BYTES:
            raise MalformedToken("the access token is over 8 KiB")
        now = self._clock()
        if self._cache_generation != self._keys.generation:
            self._cache.clear()
            self._cache_generation = self._keys.generation
        digest = hashlib.blake2b(token.encode("utf-8", "replace"), digest_size=20).digest()
        cached = self._cache.get(digest)
        if cached is not None:
            if now > cached.exp + self.leeway:
                del self._cache[digest]
                raise ExpiredToken()
            self._cache.move_to_end(digest)
            return cached
        claims = await self._verify_uncached(token, now)
        if self._cache_generation == self._keys.generation:
            self._cache[digest] = claims
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return claims

    async def _verify_uncached(self, token: str, now: float) -> AccessClaims:
        if not token.isascii() or not _COMPACT.fullmatch(token):
            raise MalformedToken()
        header_b64, payload_b64, signature_b64 = token.split(".")
        header = _json_object(header_b64)
        if header.get("alg") != "RS256":
            raise UnsupportedHeader("the access token must be signed with RS256")
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.lower() not in _ACCEPTED_TYP:
            raise UnsupportedHeader("the access token's typ must be at+jwt")
        if not _REFUSED_HEADERS.isdisjoint(header):
            raise UnsupportedHeader("the access token carries a header parameter never accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise UnknownKey("the access token names no key")
        key = await self._keys.get(kid)
        if key is None:
            raise UnknownKey()
        signature = _b64decode(signature_b64)
        self.verifications += 1
        try:
            key.verify(signature, f"{header_b64}.{payload_b64}".encode("ascii"), _PKCS1, _SHA256)
        except _CryptoInvalidSignature as exc:
            raise InvalidSignature() from exc
        return self._check_claims(_json_object(payload_b64), now)

    def _check_claims(self, claims: dict[str, Any], now: float) -> AccessClaims:
        if claims.get("iss") != self.issuer:
            raise InvalidIssuer()
        aud = claims.get("aud")
        if not (aud == self.audience or (isinstance(aud, list) and self.audience in aud)):
            raise InvalidAudience()
        exp = _number(claims, "exp")
        iat = _number(claims, "iat")
        nbf = _optional_number(claims, "nbf")
        if now > exp + self.leeway:
            raise ExpiredToken()
        if iat > now + self.leeway or (nbf is not None and nbf > now + self.leeway):
            raise InvalidClaim("the access token is not valid yet")
        if exp - iat > self.max_lifetime:
            raise InvalidClaim("the access token's lifetime is too long")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise InvalidClaim("the access token has no subject")
        scope = claims.get("scope", "")
        tier = claims.get("tier", "free")
        jti = claims.get("jti")
        if not isinstance(scope, str) or not isinstance(tier, str):
            raise InvalidClaim("the access token's scope or tier is invalid")
        if jti is not None and not isinstance(jti, str):
            raise InvalidClaim("the access token's jti is invalid")
        return AccessClaims(
            sub=sub, scopes=frozenset(scope.split()), tier=tier, exp=exp, jti=jti, raw=claims
        )
