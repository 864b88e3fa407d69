"""JSON Web Keys (RFC 7517/7518) for RS256: writing a public JWK, reading a JWKS strictly.

Only public members are ever written or read: a private member in a JWKS (`d`, `p`, ...)
is ignored, and a key that is not a 2048-8192-bit RS256 signing key is skipped.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import re
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey, RSAPublicNumbers

from shared.tokens.errors import JWKSError
from shared.tokens.jws import b64url_encode

__all__ = ["MAX_RSA_BITS", "MIN_RSA_BITS", "jwk_thumbprint", "parse_jwks", "public_jwk"]

log = logging.getLogger("lanyard.jwks")
MIN_RSA_BITS = 2048
MAX_RSA_BITS = 8192


def _b64uint_encode(value: int) -> str:
    return b64url_encode(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def jwk_thumbprint(n: str, e: str) -> str:
    """RFC 7638 thumbprint (SHA-256) of an RSA public JWK: required members, sorted, no spaces."""
    canonical = json.dumps({"e": e, "kty": "RSA", "n": n}, separators=(",", ":"), sort_keys=True)
    return b64url_encode(hashlib.sha256(canonical.encode("ascii")).digest())


def public_jwk(key: RSAPublicKey, kid: str) -> dict[str, str]:
    """The JWK of an RS256 signing key: kty, use, alg, kid, n, e — public members only."""
    numbers = key.public_numbers()
    return {
        "kty": "RSA",
        "use": "sig",
        "alg": "RS256",
        "kid": kid,
        "n": _b64uint_encode(numbers.n),
        "e": _b64uint_encode(numbers.e),
    }


def _b64uint(value: object, name: str) -> int:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_-]+", value):
        raise JWKSError(f"{name} is not base64url")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise JWKSError(f"{name} is not base64url") from exc
    return int.from_bytes(raw, "big")


def _parse_key(jwk: Mapping[str, Any]) -> tuple[str, RSAPublicKey]:
    if jwk.get("kty") != "RSA":
        raise JWKSError("not an RSA key")
    if jwk.get("use", "sig") != "sig" or jwk.get("alg", "RS256") != "RS256":
        raise JWKSError("not an RS256 signing key")
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not 0 < len(kid) <= 256:
        raise JWKSError("missing kid")
    n = _b64uint(jwk.get("n"), "n")
    e = _b64uint(jwk.get("e"), "e")
    if not MIN_RSA_BITS <= n.bit_length() <= MAX_RSA_BITS:
        raise JWKSError(f"RSA modulus must be {MIN_RSA_BITS}-{MAX_RSA_BITS} bits")
    if e < 3 or e % 2 == 0 or e.bit_length() > 32:
        raise JWKSError("unusual RSA exponent")
    # Only the public numbers are ever read: private members (d, p, q, ...) are ignored.
    try:
        return kid, RSAPublicNumbers(e, n).public_key()
    except ValueError as exc:
        raise JWKSError("invalid RSA key") from exc


def parse_jwks(document: bytes) -> dict[str, RSAPublicKey]:
    """The usable RS256 public keys of a JWKS document, by `kid`; unusable entries are skipped."""
    try:
        data = json.loads(document.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise JWKSError("the JWKS is not JSON") from exc
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise JWKSError("the JWKS has no keys list")
    keys: dict[str, RSAPublicKey] = {}
    for entry in data["keys"]:
        if not isinstance(entry, dict):
            continue
        try:
            kid, key = _parse_key(entry)
        except JWKSError as exc:
            log.warning("skipping a JWKS entry: %s", exc)
            continue
        if kid in keys:
            raise JWKSError("duplicate kid in the JWKS")
        keys[kid] = key
    if not keys:
        raise JWKSError("the JWKS holds no usable RS256 key")
    return keys
