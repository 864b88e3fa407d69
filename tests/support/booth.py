"""A `Booth` on in-memory stores, with a key made once, for unit tests of its rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from auth_service.booth import Booth
from auth_service.keys import KeyEncryptionKey, KeyKeeper, KeyRing
from auth_service.passwords import Passwords
from auth_service.revocations import Revoker
from auth_service.settings import AuthSettings
from auth_service.throttle import LoginThrottle, MemoryThrottleStore
from tests.support.stores import MemoryAccountStore, MemoryKeyStore, MemoryRevocationStore

__all__ = ["MemoryBooth", "memory_booth"]


@dataclass
class MemoryBooth:
    """The booth and the stores behind it."""

    booth: Booth
    accounts: MemoryAccountStore = field(default_factory=MemoryAccountStore)
    revocations: MemoryRevocationStore = field(default_factory=MemoryRevocationStore)


async def memory_booth(
    passwords: Passwords,
    clock: Callable[[], float],
    key: rsa.RSAPrivateKey,
    *,
    user_limit: int = 5,
    settings: AuthSettings | None = None,
    **hooks: Any,
) -> MemoryBooth:
    """A booth whose one signing key is `key`, throttling names after `user_limit`
    failures; `hooks` are `Booth`'s reporting callables (`on_login`, `on_reuse`)."""
    settings = settings or AuthSettings(issuer="http://auth.test")
    accounts, revocations = MemoryAccountStore(), MemoryRevocationStore()
    ring = KeyRing(MemoryKeyStore(), KeyEncryptionKey(b"k" * 32), settings.key_lifecycle)
    await KeyKeeper(ring, clock=clock, make_key=lambda bits: key).bootstrap()
    booth = Booth(
        settings,
        store=accounts,
        passwords=passwords,
        throttle=LoginThrottle(MemoryThrottleStore(), user_limit=user_limit, address_limit=50),
        keys=ring,
        revoker=Revoker(revocations, accounts, access_token_ttl=900, margin=60, clock=clock),
        clock=clock,
        **hooks,
    )
    return MemoryBooth(booth, accounts, revocations)
