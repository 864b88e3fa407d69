"""A keys folder as an operator would hand one to the booth: the KEK, and a key file."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from auth_service.keys import KeyEncryptionKey
from auth_service.keys.vault import new_private_key

__all__ = ["keys_folder", "write_pem"]


def write_pem(folder: Path, name: str = "lanyard-20260101T000000000000Z.pem") -> Path:
    """A new RSA-2048 private key as a PEM file (mode 0600), like releases before the key
    store kept them; the booth imports it on its first start."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    pem = new_private_key().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return path


def keys_folder(folder: Path, *, pem: bool = True) -> Path:
    """`folder` with a key-encryption key (`kek`) and, if `pem`, one key file to import, so
    that replicas started on separate databases still sign with the same key."""
    KeyEncryptionKey.create(folder / "kek")
    if pem:
        write_pem(folder)
    return folder
