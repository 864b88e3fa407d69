"""The `RevocationStore` port: revocations every auth replica publishes alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from auth_service.revocations.model import Revocation

__all__ = ["RevocationStore"]


class RevocationStore(Protocol):
    async def add(self, revocations: Sequence[Revocation]) -> None:
        """Keep these (a revocation already kept is kept once, the longest-lived)."""
        ...

    async def live(self, now: float) -> list[Revocation]:
        """Every revocation that can still refuse a valid token at `now`."""
        ...

    async def version(self) -> int:
        """A number that grows with every `add`: a list built at one version is current
        until it moves (or an entry in it expires)."""
        ...
