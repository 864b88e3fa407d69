"""Signing keys as files: RSA private keys in PEM, one file each, in one folder."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.errors import LanyardError

__all__ = ["MIN_BITS", "KeyFileError", "ensure_key", "generate_key", "read_private_key"]

MIN_BITS = 2048


class KeyFileError(LanyardError):
    """The keys folder holds no usable key, or a key file is unusable."""


def read_private_key(path: Path) -> rsa.RSAPrivateKey:
    """The RSA key in `path`; `KeyFileError` if it is not one of at least `MIN_BITS`."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError, OSError) as exc:
        raise KeyFileError(f"{path.name} is not a readable, unencrypted PEM private key") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyFileError(f"{path.name} is not an RSA key")
    if key.key_size < MIN_BITS:
        raise KeyFileError(f"{path.name} is {key.key_size} bits; at least {MIN_BITS} are needed")
    return key


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
