"""One revocation: what it names, until when it matters."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["Revocation", "RevocationKind"]


class RevocationKind(Enum):
    SESSION = "sid"
    """A refresh chain: every access token issued from it."""
    TOKEN = "jti"  # noqa: S105 - a claim name, not a secret
    """One access token."""
    KEY = "kid"
    """A retired key: every token it signed."""
    USER = "sub"
    """A user: every token issued before `not_before`."""


@dataclass(frozen=True, slots=True)
class Revocation:
    kind: RevocationKind
    value: str
    expires_at: float
    """After this no token it could refuse is still valid: it leaves the list."""
    not_before: float | None = None
    """For a user: tokens issued before this instant are revoked."""
