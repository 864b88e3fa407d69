"""Login throttling: failures only, per canonical username and per client address.

A key (a username or an address) that collects `limit` failures within `window` seconds is
locked for `lockout` seconds. A locked key is refused before the password is looked at, so
the answer is the same whether or not the user exists, and even with the right password.

An attempt is counted as a failure the moment it passes the check — in the same store call
— and taken back if the password turns out right. So concurrent guesses cannot all slip
past the check while the slow hash runs, and successes still never count.

A login from a known device (a valid device token for that username, `auth_service.devices`)
touches only that device's own count, with the username's limit: attacks on the name or
from the address cannot lock the user out of a device they already use (OWASP device
cookies), and a stolen device token buys no more guesses than the name itself allows.
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

    def _keys(self, username: str, address: str, device: str | None) -> list[tuple[str, int]]:
        """The counts an attempt touches, each with its limit: the device's alone for a
        known device, else the username's and the address's."""
        if device is not None:
            return [(f"device:{device}", self.user_limit)]
        return [(f"user:{username}", self.user_limit), (f"addr:{address}", self.address_limit)]

    async def attempt(
        self, username: str, address: str, now: float, *, device: str | None = None
    ) -> None:
        """Raise `Throttled` if a count this attempt touches is locked; else count it.

        Call `succeeded` if the password was right.
        """
        keys = self._keys(username, address, device)
        until = await self.store.attempt(keys, self.window, self.lockout, now)
        if until > now:
            raise Throttled(max(1, math.ceil(until - now)))

    async def forgive(self, username: str, address: str, *, device: str | None = None) -> None:
        """Take this attempt back from its counts: it ended without a verdict."""
        for key, limit in self._keys(username, address, device):
            await self.store.forgive(key, limit)

    async def succeeded(self, username: str, address: str, *, device: str | None = None) -> None:
        # Only the account's owner can succeed, so their own count (the name's or the
        # device's) may start again; an address's count is never cleared by a success,
        # only this attempt taken back.
        for key, limit in self._keys(username, address, device):
            if key.startswith("addr:"):
                await self.store.forgive(key, limit)
            else:
                await self.store.clear(key)
