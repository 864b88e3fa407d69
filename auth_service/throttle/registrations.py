"""Registrations per client address: `limit` an hour, counted in the throttle store (so in
Redis across replicas when it is configured)."""

from __future__ import annotations

import math

from auth_service.errors import TooManyRegistrations
from auth_service.throttle.port import ThrottleStore

__all__ = ["RegistrationLimit"]

HOUR = 3600.0


class RegistrationLimit:
    """Each address may attempt `limit` registrations a `window`; the next ones are refused
    (`TooManyRegistrations`, with the seconds to wait) until the window is over."""

    def __init__(self, store: ThrottleStore, *, limit: int = 20, window: float = HOUR) -> None:
        self.store = store
        self.limit = limit
        self.window = window

    async def attempt(self, address: str, now: float) -> None:
        """Count this attempt for `address`, or raise if its allowance is used up."""
        # The store counts and locks in one step: the `limit`-th attempt passes and locks the
        # address for the window; concurrent attempts cannot all slip under the limit.
        keys = [(f"register:{address}", self.limit)]
        until = await self.store.attempt(keys, self.window, self.window, now)
        if until > now:
            raise TooManyRegistrations(max(1, math.ceil(until - now)))
