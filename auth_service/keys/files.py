"""Private keys as PEM files: to import one (`keys import`), and the key files of releases
before the key store, which a first start brings into it."""

from __future__ import annotations

import logging
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from auth_service.keys.vault import KeyVaultError

__all__ = ["MIN_BITS", "legacy_keys", "read_private_key"]

MIN_BITS = 2048
log = logging.getLogger("lanyard.keys")


def read_private_key(path: Path) -> rsa.RSAPrivateKey:
    """The RSA key in `path`; `KeyVaultError` if it is not one of at least `MIN_BITS`."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError, OSError) as exc:
        raise KeyVaultError(f"{path.name} is not a readable, unencrypted PEM private key") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyVaultError(f"{path.name} is not an RSA key")
    if key.key_size < MIN_BITS:
        raise KeyVaultError(f"{path.name} is {key.key_size} bits; at least {MIN_BITS} are needed")
    return key


def legacy_keys(folder: Path) -> list[rsa.RSAPrivateKey]:
    """The `*.pem` keys in `folder`, oldest name first (the last one signed); unusable files
    are skipped with a log line."""
    keys = []
    for path in sorted(folder.glob("*.pem")) if folder.is_dir() else []:
        try:
            keys.append(read_private_key(path))
        except KeyVaultError as exc:
            log.warning("skipping key file %s: %s", path.name, exc.detail)
    return keys
