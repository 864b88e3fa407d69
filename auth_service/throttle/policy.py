"""Login throttling: failures only, per canonical username and per client address.

A key (a username or an address) that collects `limit` failures within `window` seconds is
locked for `lockout` seconds. A locked key is refused before the password is looked at, so
the answer is the same whether or not the user exists, and even with the right password.

An attempt is counted as a failure the moment it passes the check — in the same store call
— and taken back if the password turns out right. So concurrent guesses cannot all slip
past the check while the slow hash runs, and successes still never count.
"""

from __future__ import annotations

import math

from auth_service.errors import Throttled
from auth_service.throttle.port import ThrottleStore

__all__ = ["LoginThrottle"]


class LoginThrottle:
    """The policy: which keys a login attempt touches, and what a failure costs."""

    def __init__(
        self,
        store: ThrottleStore,
        *,
        user_limit: int = 5,
        address_limit: int = 50,
        window: float = 900,
        lockout: float = 900,
    ) -> None:
        self.store = store
        self.user_limit = user_limit
        self.address_limit = address_limit
        self.window = window
        self.lockout = lockout

    @staticmethod
    def _keys(username: str, address: str) -> tuple[str, str]:
        return f"user:{username}", f"addr:{address}"

    async def attempt(self, username: str, address: str, now: float) -> None:
        """Raise `Throttled` if the username or address is locked; else count this attempt.

        Call `succeeded` if the password was right.
        """
        user_key, address_key = self._keys(username, address)
        keys = [(user_key, self.user_limit), (address_key, self.address_limit)]
        until = await self.store.attempt(keys, self.window, self.lockout, now)
        if until > now:
            raise Throttled(max(1, math.ceil(until - now)))

    async def forgive(self, username: str, address: str) -> None:
        """Take this attempt back from both counts: it ended without a verdict."""
        user_key, address_key = self._keys(username, address)
        await self.store.forgive(user_key, self.user_limit)
        await self.store.forgive(address_key, self.address_limit)

    async def succeeded(self, username: str, address: str) -> None:
        # Only the account's owner can succeed, so their own count may start again;
        # an address's count is never cleared by a success, only this attempt taken back.
        user_key, address_key = self._keys(username, address)
        await self.store.clear(user_key)
        await self.store.forgive(address_key, self.address_limit)
