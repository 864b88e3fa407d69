"""The `KeyStore` port: where every auth replica finds the same signing keys."""

from __future__ import annotations

from typing import Protocol

from auth_service.keys.model import KeyRecord

__all__ = ["KeyStore"]


class KeyStore(Protocol):
    """Signing keys shared by the auth replicas, private halves wrapped under the KEK."""

    async def load(self) -> list[KeyRecord]:
        """Every key, retired ones included."""
        ...

    async def add(self, record: KeyRecord) -> bool:
        """Store a new key; False (and nothing stored) if its generation is taken, which is
        how two rotations at once end with one new key."""
        ...

    async def retire(self, kid: str, now: float) -> bool:
        """Mark the key retired at `now` (unless it already is); False if there is no such key."""
        ...
