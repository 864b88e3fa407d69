"""What the booth's lifespan makes, typed, and the one way a handler reaches it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from starlette.requests import HTTPConnection

from auth_service.booth import Booth
from auth_service.clients import ClientRegistry
from auth_service.keys import KeyKeeper
from auth_service.revocations import RevocationPublisher
from shared.web.metrics import AuthMetrics

__all__ = ["STATE_KEY", "AuthState", "app_state"]

STATE_KEY = "lanyard.auth"


@dataclass(frozen=True, slots=True)
class AuthState:
    """The booth and what serves it, made once per app by its lifespan."""

    booth: Booth
    clients: ClientRegistry
    keeper: KeyKeeper
    revocations: RevocationPublisher
    metrics: AuthMetrics


def app_state(connection: HTTPConnection) -> AuthState:
    """The running app's `AuthState` (set by the lifespan)."""
    return cast(AuthState, connection.scope["state"][STATE_KEY])
