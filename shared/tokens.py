"""Verifying access tokens locally, as RFC 8725 and RFC 9068 ask.

A token is accepted only if it is a compact JWS with `alg` exactly RS256 and `typ`
`at+jwt`, its `kid` names a key in the auth service's JWKS, the signature verifies, `iss`
and `aud` match, `exp` is in the future, `nbf`/`iat` are not (with a small leeway), and
`sub` is present. Header parameters that point at keys (`jku`, `x5u`, `jwk`, `x5c`) are
refused, never followed.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import math
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
# Distinct accepted headers remembered; an issuer uses one per key, so a few suffice.
_HEADER_CACHE_SIZE = 64
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


_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")
# The last character of a segment whose length is 2 or 3 modulo 4 carries 4 or 2 bits past
# the last byte; in the one canonical spelling they are zero (RFC 4648 3.5).
_CANONICAL_LAST = {2: frozenset("AQgw"), 3: frozenset("AEIMQUYcgkosw048")}


def _b64decode(segment: str) -> bytes:
    """A non-empty base64url segment without padding, in its one canonical spelling.

    Anything else is `MalformedToken`: characters outside the alphabet, padding, or set
    bits past the last byte (RFC 4648 3.5), which would give sixteen spellings of a
    signature that all verify.
    """
    remainder = len(segment) % 4
    if (
        not segment
        or remainder == 1
        or "+" in segment
        or "/" in segment
        or "=" in segment
        or (remainder and segment[-1] not in _CANONICAL_LAST[remainder])
    ):
        raise MalformedToken()
    try:
        # strict_mode refuses whatever is left outside the alphabet (whitespace, say).
        return binascii.a2b_base64(
            (segment + "=" * (-remainder % 4)).encode("ascii").translate(_FROM_URLSAFE),
            strict_mode=True,
        )
    except (binascii.Error, ValueError) as exc:  # UnicodeEncodeError is a ValueError
        raise MalformedToken() from exc


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("duplicate member")
    return obj


# One decoder for every token: `json.loads` with hooks builds a new one per call.
_DECODER = json.JSONDecoder(object_pairs_hook=_unique_object, parse_constant=_reject_constant)


def _json_object(segment: str) -> dict[str, Any]:
    return _parsed(_b64decode(segment))


def _parsed(raw: bytes) -> dict[str, Any]:
    """A decoded segment as a JSON object, refusing duplicate members, NaN and Infinity."""
    try:
        text = raw.decode("utf-8")
        # Issuers send compact JSON: `raw_decode` reads it without the whitespace scans of
        # `decode`, which takes over for anything else, so the same texts are accepted.
        try:
            value, end = _DECODER.raw_decode(text)
        except ValueError:
            end = -1
        if end != len(text):
            value = _DECODER.decode(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MalformedToken() from exc
    if not isinstance(value, dict):
        raise MalformedToken()
    return value


def _accepted_kid(header: dict[str, Any]) -> str:
    """The `kid` of a header this verifier accepts; `TokenError` for any other header."""
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
    return kid


def _optional_number(claims: dict[str, Any], name: str) -> float | None:
    if name not in claims:
        return None
    value = claims[name]
    # JSON gives exactly int or float (never bool, which is no number here); `type` is quick.
    if type(value) is float:
        number = value
    elif type(value) is int:
        try:
            number = float(value)
        except OverflowError:  # a JSON integer too large for a float, e.g. 400 digits
            number = math.inf
    else:
        raise InvalidClaim(f"the access token's {name} claim must be a number")
    if not math.isfinite(number):
        raise InvalidClaim(f"the access token's {name} claim must be a number")
    return number


def _number(claims: dict[str, Any], name: str) -> float:
    value = _optional_number(claims, name)
    if value is None:
        raise InvalidClaim(f"the access token has no {name} claim")
    return value


# Failed signatures remembered at most: anyone can add one per RSA check, so this stays
# small (about 1 MB) whatever the cache of verified tokens is sized for.
MAX_REFUSED = 8192


class TokenVerifier:
    """Verifies access tokens with keys from a `KeySource`, never calling the issuer.

    Verified claims are kept in a bounded cache, keyed by a digest of the token, until the
    token expires or the key set changes; `exp` is checked again on every hit. Tokens whose
    signature failed are remembered the same way (at most `MAX_REFUSED` digests, forgotten
    when the key set changes), since they would fail again.
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
        # Digests of tokens whose signature failed with the current keys, oldest first.
        self._refused: dict[bytes, None] = {}
        # Accepted headers (base64url as sent) and the kid each names, for keys that exist.
        self._headers: dict[str, str] = {}
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
            self._refused.clear()
            self._headers.clear()
            self._cache_generation = self._keys.generation
        digest = b""
        if self._cache_size:
            digest = hashlib.blake2b(token.encode("utf-8", "replace"), digest_size=20).digest()
            cached = self._cache.get(digest)
            if cached is not None:
                if now > cached.exp + self.leeway:
                    del self._cache[digest]
                    raise ExpiredToken()
                self._cache.move_to_end(digest)
                return cached
            if digest in self._refused:
                raise InvalidSignature()
        # Not seen before. Shape and encoding first, then the header, the key, the signature.
        # A missing part leaves an empty segment, an extra one a "." in the signature:
        # both are refused by `_b64decode`.
        header_b64, _, rest = token.partition(".")
        payload_b64, _, signature_b64 = rest.partition(".")
        signature, payload = _b64decode(signature_b64), _b64decode(payload_b64)
        # One issuer signs with one header per key: checking it once per key set is enough.
        kid = self._headers.get(header_b64) or _accepted_kid(_json_object(header_b64))
        key = await self._keys.get(kid)
        if key is None:
            raise UnknownKey()
        if len(self._headers) < _HEADER_CACHE_SIZE:
            self._headers[header_b64] = kid
        self.verifications += 1
        try:
            key.verify(signature, f"{header_b64}.{payload_b64}".encode("ascii"), _PKCS1, _SHA256)
        except _CryptoInvalidSignature as exc:
            # The same bytes fail the same way until the key set changes: a client (or a
            # flood) repeating a forged token pays for one RSA check, not one per request.
            if digest and self._cache_generation == self._keys.generation:
                self._refused[digest] = None
                if len(self._refused) > min(self._cache_size, MAX_REFUSED):
                    del self._refused[next(iter(self._refused))]
            raise InvalidSignature() from exc
        claims = self._check_claims(_parsed(payload), now)
        if digest and self._cache_generation == self._keys.generation:
            self._cache[digest] = claims
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return claims

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
