"""Compact JWS (RFC 7515) as Lanyard writes and reads it: RS256 only, strict parsing.

Reading is deliberately narrow (RFC 8725): one canonical base64url spelling per segment,
JSON objects without duplicate members, `NaN` or `Infinity`, `alg` exactly RS256, `typ`
exactly what the caller expects, and no header parameter that carries or points at a key.
Writing goes through PyJWT, so what the booth signs is what a standard library makes.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from shared.tokens.errors import (
    InvalidSignature,
    MalformedToken,
    UnknownKey,
    UnsupportedHeader,
)

__all__ = [
    "ALGORITHM",
    "MAX_TOKEN_BYTES",
    "CompactJWS",
    "b64url_decode",
    "b64url_encode",
    "json_object",
    "sign",
]

ALGORITHM = "RS256"
MAX_TOKEN_BYTES = 8 * 1024
# Header parameters that carry or point at keys: an attacker controls them, so a token that
# has one is refused outright (RFC 8725 3.10). `b64` (RFC 7797) changes what is signed.
_REFUSED_HEADERS = frozenset({"jku", "x5u", "jwk", "x5c", "b64", "crit"})
_PKCS1 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")
# The last character of a segment whose length is 2 or 3 modulo 4 carries 4 or 2 bits past
# the last byte; in the one canonical spelling they are zero (RFC 4648 3.5).
_CANONICAL_LAST = {2: frozenset("AQgw"), 3: frozenset("AEIMQUYcgkosw048")}


def b64url_encode(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(segment: str) -> bytes:
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


_DECODER = json.JSONDecoder(object_pairs_hook=_unique_object, parse_constant=_reject_constant)


def json_object(raw: bytes) -> dict[str, Any]:
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


@dataclass(frozen=True, slots=True)
class CompactJWS:
    """A compact JWS split into its parts; nothing about it is trusted yet."""

    header: dict[str, Any]
    payload: bytes
    signing_input: bytes
    signature: bytes

    @classmethod
    def parse(
        cls,
        token: str,
        *,
        max_bytes: int = MAX_TOKEN_BYTES,
        headers: Mapping[str, dict[str, Any]] | None = None,
    ) -> CompactJWS:
        """Split and decode `token`; `MalformedToken` for any other shape or over `max_bytes`
        (8 KiB for an access token). `headers` maps header segments already decoded (as
        sent) to their JSON, so a header seen before is not decoded again."""
        if len(token) > max_bytes:
            raise MalformedToken(f"the token is over {max_bytes} bytes")
        # A missing part leaves an empty segment, an extra one a "." in the signature:
        # both are refused by `b64url_decode`.
        header_b64, _, rest = token.partition(".")
        payload_b64, _, signature_b64 = rest.partition(".")
        signature, payload = b64url_decode(signature_b64), b64url_decode(payload_b64)
        header = headers.get(header_b64) if headers is not None else None
        if header is None:
            header = json_object(b64url_decode(header_b64))
        return cls(header, payload, f"{header_b64}.{payload_b64}".encode("ascii"), signature)

    @property
    def header_segment(self) -> str:
        return self.signing_input.partition(b".")[0].decode("ascii")

    def kid(self, accepted_types: frozenset[str]) -> str:
        """The `kid` of a header this library accepts for a token of `accepted_types`."""
        header = self.header
        if header.get("alg") != ALGORITHM:
            raise UnsupportedHeader("the access token must be signed with RS256")
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.lower() not in accepted_types:
            raise UnsupportedHeader("the access token's typ is not accepted")
        if not _REFUSED_HEADERS.isdisjoint(header):
            raise UnsupportedHeader("the access token carries a header parameter never accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise UnknownKey("the access token names no key")
        return kid

    def verify(self, key: RSAPublicKey) -> dict[str, Any]:
        """The payload as a JSON object, once the signature verifies with `key`."""
        try:
            key.verify(self.signature, self.signing_input, _PKCS1, _SHA256)
        except _CryptoInvalidSignature as exc:
            raise InvalidSignature() from exc
        return json_object(self.payload)


def sign(header: Mapping[str, Any], payload: Mapping[str, Any], key: RSAPrivateKey) -> str:
    """A compact RS256 JWS of `payload` with `header` (which names `kid` and `typ`).

    CPU-bound (an RSA signature): async callers run it in a worker thread.
    """
    return jwt.encode(dict(payload), key, algorithm=ALGORITHM, headers=dict(header))
