"""What the machine's lifespan makes, typed, and the one way a handler reaches it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from starlette.requests import HTTPConnection

from shared.tokens.jwks import JWKSCache
from shared.tokens.revocation_cache import RevocationCache
from shared.tokens.verifier import TokenVerifier
from shared.web.metrics import VendingMetrics
from vending_service.machine import Machine
from vending_service.pictures.links import ImageLinks

if TYPE_CHECKING:
    from vending_service.views import PictureRecords

__all__ = ["STATE_KEY", "VendingState", "app_state"]

STATE_KEY = "lanyard.vending"


@dataclass(frozen=True, slots=True)
class VendingState:
    """The machine and what serves it, made once per app by its lifespan."""

    machine: Machine
    jwks: JWKSCache
    revocations: RevocationCache
    verifier: TokenVerifier
    metrics: VendingMetrics
    records: PictureRecords
    links: ImageLinks

    def revocations_stale(self) -> bool:
        """Whether no revocation list has been had for `REVOCATION_STALE_LIMIT`."""
        return self.revocations.stale(self.machine.settings.revocation_stale_limit)

    def refuses_all_tokens(self) -> bool:
        """The `closed` fail mode with a stale list: no token can be judged."""
        closed = self.machine.settings.revocation_fail_mode == "closed"
        return closed and self.revocations_stale()


def app_state(connection: HTTPConnection) -> VendingState:
    """The running app's `VendingState` (set by the lifespan)."""
    return cast(VendingState, connection.scope["state"][STATE_KEY])
