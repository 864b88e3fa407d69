"""The key-encryption key (KEK): what keeps signing keys private inside the key store.

Private keys are stored wrapped with AES-256-GCM under a 256-bit KEK that lives outside the
database, as a file (`KEY_ENCRYPTION_KEY_FILE`: in `keys/` for `make run`, a volume for
compose, a Docker secret for Swarm, a Secret for Kubernetes). The key id is the GCM
associated data, so a wrapped key cannot be passed off as another. A database copy alone
(a backup, a dump, a replica) holds no usable private key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shared.errors import LanyardError
from shared.files import PRIVATE_FILE, private_dir
from shared.tokens.jwk import jwk_thumbprint, public_jwk

__all__ = ["KeyEncryptionKey", "KeyVaultError", "new_private_key"]

_NONCE = 12


class KeyVaultError(LanyardError):
    """The KEK is missing or unusable, or a wrapped key does not open under it."""


def new_private_key(
    bits: int = 2048,
    *,
    generate: Callable[[int], rsa.RSAPrivateKey] = lambda bits: rsa.generate_private_key(
        public_exponent=65537, key_size=bits
    ),
) -> rsa.RSAPrivateKey:
    """A fresh RSA key whose kid (its RFC 7638 thumbprint, base64url) does not begin with
    "-": operators type kids on a command line (`keys retire <kid>`), where a leading dash
    reads as an option. One key in 64 is drawn again."""
    while True:
        key = generate(bits)
        jwk = public_jwk(key.public_key(), kid="")
        if not jwk_thumbprint(jwk["n"], jwk["e"]).startswith("-"):
            return key


class KeyEncryptionKey:
    """A 256-bit AES key; `id` names it (a digest) without showing it."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) != 32:
            raise KeyVaultError("the key-encryption key must be 32 bytes")
        self._aead = AESGCM(secret)
        self._secret = secret
        self.id = hashlib.sha256(b"lanyard-kek:" + secret).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"KeyEncryptionKey(id={self.id!r})"

    @classmethod
    def read(cls, path: Path) -> KeyEncryptionKey:
        """The KEK in `path` (base64url text, as `create` writes it)."""
        try:
            text = path.read_text(encoding="ascii").strip()
            secret = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (OSError, UnicodeDecodeError, binascii.Error, ValueError) as exc:
            raise KeyVaultError(
                f"the key-encryption key file {path} is missing or unreadable"
            ) from exc
        return cls(secret)

    @staticmethod
    def create(path: Path) -> bool:
        """Write a new random KEK to `path` (mode 0600, folder 0700) unless one is there;
        True if one was written."""
        private_dir(path.parent)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(base64.urlsafe_b64encode(os.urandom(32)).decode("ascii") + "\n")
        return True

    def derive(self, purpose: str) -> bytes:
        """A 256-bit key for `purpose` (HKDF-SHA256), independent of the KEK and of every
        other purpose's key: every replica derives the same one, and none reveals the KEK."""
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode())
        return hkdf.derive(self._secret)

    def wrap(self, kid: str, key: rsa.RSAPrivateKey) -> bytes:
        """`key` as stored: a random nonce, then the sealed PKCS#8 DER bound to `kid`."""
        der = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, der, kid.encode("utf-8"))

    def unwrap(self, kid: str, wrapped: bytes) -> rsa.RSAPrivateKey:
        """The RSA key sealed in `wrapped` for `kid`; `KeyVaultError` if it does not open."""
        try:
            der = self._aead.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], kid.encode("utf-8"))
            key = serialization.load_der_private_key(der, password=None)
        except (InvalidTag, ValueError, TypeError) as exc:
            raise KeyVaultError(f"key {kid} does not open with this key-encryption key") from exc
        if not isinstance(key, rsa.RSAPrivateKey):
            raise KeyVaultError(f"key {kid} is not an RSA key")
        return key
