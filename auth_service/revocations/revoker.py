"""The rules of revocation: what each revoking act lists, and for how long."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from auth_service.accounts import AccountStore
from auth_service.revocations.model import Revocation, RevocationKind, as_list
from auth_service.revocations.port import RevocationStore
from shared.tokens.revocations import RevocationList

__all__ = ["Revoker"]


class Revoker:
    """Lists revocations for as long as a token they refuse may still be valid: the access
    token lifetime from now, plus `margin` for the verifiers' leeway and clock skew."""

    def __init__(
        self,
        store: RevocationStore,
        accounts: AccountStore,
        *,
        access_token_ttl: float,
        margin: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.accounts = accounts
        self.access_token_ttl = access_token_ttl
        self.margin = margin
        self.clock = clock

    def _until(self) -> float:
        return self.clock() + self.access_token_ttl + self.margin

    async def session(self, sid: str) -> None:
        """A refresh chain was revoked (logout, reuse): its access tokens go with it."""
        await self.store.add([Revocation(RevocationKind.SESSION, sid, self._until())])

    async def token(self, jti: str) -> None:
        """One access token."""
        await self.store.add([Revocation(RevocationKind.TOKEN, jti, self._until())])

    async def user(self, sub: str) -> float:
        """Every token of `sub` issued before now, their refresh chains too; the instant from
        which tokens are fine again. Tokens carry `iat` in whole seconds, so that instant is
        the next whole second: a token issued in the second of the revocation is refused
        (log in again a second later) rather than one issued just before it let through."""
        now = self.clock()
        not_before = float(math.floor(now) + 1)
        await self.accounts.revoke_user(sub, now)
        await self.store.add(
            [Revocation(RevocationKind.USER, sub, self._until(), not_before=not_before)]
        )
        return not_before

    async def current(self) -> RevocationList:
        """What is revoked now, as a verifier would see it in the list."""
        now = self.clock()
        return as_list(await self.store.live(now), issued_at=now, expires_at=now)

    async def key(self, kid: str) -> None:
        """A retired key: every token it signed (none newer than now)."""
        await self.store.add([Revocation(RevocationKind.KEY, kid, self._until())])
