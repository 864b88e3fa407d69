"""The booth's signing keys as one ring: every key is published, the last by name signs.

Files made by `generate_key` are named by their UTC creation time, so the newest signs.
`kid` is the key's RFC 7638 JWK thumbprint.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa

from auth_service.keys.files import KeyFileError, read_private_key
from shared.tokens.jwk import jwk_thumbprint, public_jwk

__all__ = ["KeyRing", "SigningKey"]


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey
    path: Path

    @classmethod
    def load(cls, path: Path) -> SigningKey:
        key = read_private_key(path)
        jwk = public_jwk(key.public_key(), kid="")
        return cls(jwk_thumbprint(jwk["n"], jwk["e"]), key, path)

    def public_jwk(self) -> dict[str, str]:
        """The public half only: kty, use, alg, kid, n, e. Never a private member."""
        return public_jwk(self.private_key.public_key(), self.kid)


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
        return cls([SigningKey.load(path) for path in sorted(folder.glob("*.pem"))])
