"""The `AccountStore` port: what the booth needs of wherever users and chains are kept."""

from __future__ import annotations

from typing import Protocol

from auth_service.accounts.model import RefreshRecord, Spend, User

__all__ = ["AccountStore"]


class AccountStore(Protocol):
    """Users, and refresh tokens (only their hashes) in chains."""

    async def create_user(self, user: User) -> None:
        """Store a new user; `UsernameTaken` if the name exists."""
        ...

    async def get_user(self, username: str) -> User | None: ...
    async def set_password_hash(self, username: str, password_hash: str) -> None: ...
    async def set_tier(self, username: str, tier: str) -> bool: ...
    async def add_refresh(self, record: RefreshRecord) -> None: ...

    async def find_refresh(self, token_hash: str) -> RefreshRecord | None:
        """The stored record of a refresh token (spent, revoked or not), changing nothing."""
        ...

    async def spend_refresh(self, token_hash: str, successor: RefreshRecord, now: float) -> Spend:
        """Atomically: if `token_hash` is unspent, live and unrevoked, mark it spent and store
        `successor` in its chain (its family, username, scope and session end taken from the
        spent one; its expiry no later than that session end).
        Says what it found; changes nothing unless the token was `FRESH`."""
        ...

    async def revoke_family(self, family_id: str, now: float) -> None:
        """Revoke every token of the chain `family_id`."""
        ...

    async def revoke_family_of(self, token_hash: str, now: float) -> str | None:
        """Revoke every token of the chain `token_hash` belongs to (taking the write lock
        first, so nothing interleaves); the chain's id, or None if the token is unknown."""
        ...

    async def revoke_user(self, username: str, now: float) -> None:
        """Revoke every chain of `username`."""
        ...

    async def ready(self) -> bool: ...
    async def close(self) -> None: ...
