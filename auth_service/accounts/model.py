"""What the booth keeps about people: users, and refresh tokens (only their hashes)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import Enum

__all__ = ["RefreshRecord", "Spend", "Spent", "User", "hash_refresh_token"]


@dataclass(frozen=True, slots=True)
class User:
    username: str
    password_hash: str
    tier: str
    scopes: str
    created_at: float


@dataclass(frozen=True, slots=True)
class RefreshRecord:
    """One refresh token of a chain (`family_id`); the token itself is never stored."""

    token_hash: str
    family_id: str
    username: str
    issued_at: float
    expires_at: float
    scope: str | None = None
    """The chain's granted scope, when narrower than the user's (RFC 6749 3.3)."""
    session_ends_at: float | None = None
    """When the chain ends whatever its refreshes (`SESSION_MAX_AGE` after its first
    login): no token of the chain lives past it."""


class Spent(Enum):
    """What presenting a refresh token found."""

    FRESH = "fresh"
    """Unspent and live: it is spent now, and its successor stored in its chain."""
    REUSED = "reused"
    """Spent before: someone presents a token already used."""
    INVALID = "invalid"
    """Unknown, expired or revoked."""


@dataclass(frozen=True, slots=True)
class Spend:
    """The outcome of spending a refresh token: what it found, its chain and user."""

    outcome: Spent
    family_id: str = ""
    username: str = ""
    scope: str | None = None


def hash_refresh_token(token: str) -> str:
    """The stored form of a refresh token."""
    # 256 random bits need no slow hash: SHA-256 makes a stolen table useless.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
