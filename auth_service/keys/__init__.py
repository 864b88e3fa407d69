"""The booth's signing keys and their lifecycle.

`model` (records, states, the timeline), `port` (`KeyStore`), `vault` (the KEK that seals
private keys), `ring` (the keys as a replica sees them), `lifecycle` (first key, rotation,
retirement), `files` (PEM import). The SQL store is `auth_service.keys.sql`.
"""

from auth_service.keys.lifecycle import KeyKeeper, LastSigningKey, Rotation, UnknownKid
from auth_service.keys.model import KeyRecord, KeyState, Lifecycle, Position, Timeline
from auth_service.keys.port import KeyStore
from auth_service.keys.ring import KeyRing, NoSigningKey, SigningKey
from auth_service.keys.vault import KeyEncryptionKey, KeyVaultError

__all__ = [
    "KeyEncryptionKey",
    "KeyKeeper",
    "KeyRecord",
    "KeyRing",
    "KeyState",
    "KeyStore",
    "KeyVaultError",
    "LastSigningKey",
    "Lifecycle",
    "NoSigningKey",
    "Position",
    "Rotation",
    "SigningKey",
    "Timeline",
    "UnknownKid",
]
