"""The booth's signing keys: RSA private keys as PEM files in one folder.

Every key is published in the JWKS; the key whose file name sorts last signs. Files made
here are named by their UTC creation time, so the newest signs. `kid` is the key's RFC 7638
JWK thumbprint.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.jwks import public_jwk

__all__ = ["KeyFileError", "KeyRing", "SigningKey", "ensure_key", "generate_key", "jwk_thumbprint"]

MIN_BITS = 2048


class KeyFileError(Exception):
    """The keys folder holds no usable key, or a key file is unusable."""


def jwk_thumbprint(n: str, e: str) -> str:
    """RFC 7638 thumbprint (SHA-256) of an RSA public JWK: required members, sorted, no spaces."""
    canonical = json.dumps({"e": e, "kty": "RSA", "n": n}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey
    path: Path

    def public_jwk(self) -> dict[str, str]:
        """The public half only: kty, use, alg, kid, n, e. Never a private member."""
        return public_jwk(self.private_key.public_key(), self.kid)


def _load(path: Path) -> SigningKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError, OSError) as exc:
        raise KeyFileError(f"{path.name} is not a readable, unencrypted PEM private key") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyFileError(f"{path.name} is not an RSA key")
    if key.key_size < MIN_BITS:
        raise KeyFileError(f"{path.name} is {key.key_size} bits; at least {MIN_BITS} are needed")
    jwk = public_jwk(key.public_key(), kid="")
    return SigningKey(jwk_thumbprint(jwk["n"], jwk["e"]), key, path)


class KeyRing:
    """All keys in a folder; the last by file name signs."""

    def __init__(self, keys: list[SigningKey]) -> None:
        if not keys:
            raise KeyFileError("no signing key: run `python -m auth_service keys generate`")
        self.keys = keys
        self.signing = keys[-1]
        jwks = {"keys": [key.public_jwk() for key in keys]}
        self.jwks_body = json.dumps(jwks, separators=(",", ":")).encode("ascii")
        self.etag = '"' + hashlib.sha256(self.jwks_body).hexdigest()[:32] + '"'

    @classmethod
    def load(cls, folder: Path) -> KeyRing:
        if not folder.is_dir():
            raise KeyFileError(f"the keys folder {folder} does not exist")
        return cls([_load(path) for path in sorted(folder.glob("*.pem"))])


def generate_key(folder: Path, *, bits: int = 2048, now: datetime | None = None) -> Path:
    """Write a new RSA key to `folder` with mode 0600, named by its UTC creation time."""
    if bits < MIN_BITS:
        raise KeyFileError(f"keys must be at least {MIN_BITS} bits")
    folder.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"lanyard-{stamp}.pem"
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # O_EXCL: never overwrite a key; 0600 from the first byte, not chmod afterwards.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return path


def ensure_key(folder: Path, *, bits: int = 2048) -> Path | None:
    """Create a key when `folder` holds none; return its path, or None if one existed."""
    if folder.is_dir() and any(folder.glob("*.pem")):
        return None
    return generate_key(folder, bits=bits)
