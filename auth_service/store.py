"""Users and refresh-token chains: the `AccountStore` port and its SQL adapter.

The SQL adapter runs on SQLite (the embedded default) and on PostgreSQL: every statement
here is portable, and each change is one statement or one short transaction that writes
first, so concurrent requests never interleave badly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import (
    Column,
    Float,
    Index,
    MetaData,
    String,
    Table,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.db import ping
from shared.migrations import migrate
from shared.stores import store_call

__all__ = ["AccountStore", "RefreshRecord", "SQLAccountStore", "User", "UsernameTaken"]

MIGRATIONS = Path(__file__).parent / "migrations"


class UsernameTaken(Exception):
    """A user with this canonical username already exists."""


@dataclass(frozen=True, slots=True)
class User:
    username: str
    password_hash: str
    tier: str
    scopes: str
    created_at: float


@dataclass(frozen=True, slots=True)
class RefreshRecord:
    token_hash: str
    family_id: str
    username: str
    issued_at: float
    expires_at: float


class AccountStore(Protocol):
    """What the booth keeps: users, and refresh tokens (only their hashes) in chains."""

    async def create_user(self, user: User) -> None: ...
    async def get_user(self, username: str) -> User | None: ...
    async def set_password_hash(self, username: str, password_hash: str) -> None: ...
    async def set_tier(self, username: str, tier: str) -> bool: ...
    async def add_refresh(self, record: RefreshRecord) -> None: ...
    async def rotate_refresh(
        self, token_hash: str, successor: RefreshRecord, now: float
    ) -> str | None: ...
    async def revoke_chain(self, token_hash: str, now: float) -> None: ...
    async def ready(self) -> bool: ...
    async def close(self) -> None: ...


metadata = MetaData()
users = Table(
    "users",
    metadata,
    Column("username", String(32), primary_key=True),
    Column("password_hash", String(255), nullable=False),
    Column("tier", String(16), nullable=False),
    Column("scopes", String(255), nullable=False),
    Column("created_at", Float, nullable=False),
)
refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("family_id", String(64), nullable=False),
    Column("username", String(32), nullable=False),
    Column("issued_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("spent_at", Float, nullable=True),
    Column("revoked_at", Float, nullable=True),
    Index("ix_refresh_tokens_family", "family_id"),
)


class SQLAccountStore:
    """`AccountStore` on SQLAlchemy: SQLite by default, PostgreSQL when configured."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def migrate(self) -> None:
        """Create or upgrade the schema (Alembic; safe when replicas start together)."""
        await migrate(self.engine, MIGRATIONS, "alembic_version_auth")

    @store_call("user store")
    async def create_user(self, user: User) -> None:
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    insert(users).values(
                        username=user.username,
                        password_hash=user.password_hash,
                        tier=user.tier,
                        scopes=user.scopes,
                        created_at=user.created_at,
                    )
                )
        except IntegrityError as exc:
            raise UsernameTaken(user.username) from exc

    @store_call("user store")
    async def get_user(self, username: str) -> User | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(users).where(users.c.username == username))).first()
        return None if row is None else User(**row._asdict())

    @store_call("user store")
    async def set_password_hash(self, username: str, password_hash: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(users)
                .where(users.c.username == username)
                .values(password_hash=password_hash)
            )

    @store_call("user store")
    async def set_tier(self, username: str, tier: str) -> bool:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(users).where(users.c.username == username).values(tier=tier)
            )
        return bool(result.rowcount)

    @store_call("user store")
    async def add_refresh(self, record: RefreshRecord) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(insert(refresh_tokens).values(**_record_values(record)))

    @store_call("user store")
    async def rotate_refresh(
        self, token_hash: str, successor: RefreshRecord, now: float
    ) -> str | None:
        """Spend `token_hash` and store `successor` in its chain; return the username.

        A token already spent is a replay: the whole chain is revoked and None returned.
        Expired, revoked or unknown tokens also return None.
        """
        rt = refresh_tokens
        async with self.engine.begin() as conn:
            spent = (
                await conn.execute(
                    update(rt)
                    .where(
                        rt.c.token_hash == token_hash,
                        rt.c.spent_at.is_(None),
                        rt.c.revoked_at.is_(None),
                        rt.c.expires_at > now,
                    )
                    .values(spent_at=now)
                    .returning(rt.c.family_id, rt.c.username)
                )
            ).first()
            if spent is not None:
                values = _record_values(successor)
                values.update(family_id=spent.family_id, username=spent.username)
                await conn.execute(insert(rt).values(**values))
                return str(spent.username)
            previous = (
                await conn.execute(
                    select(rt.c.family_id, rt.c.spent_at).where(rt.c.token_hash == token_hash)
                )
            ).first()
            if previous is not None and previous.spent_at is not None:
                await _revoke_family(conn, previous.family_id, now)
        return None

    @store_call("user store")
    async def revoke_chain(self, token_hash: str, now: float) -> None:
        rt = refresh_tokens
        family = select(rt.c.family_id).where(rt.c.token_hash == token_hash).scalar_subquery()
        async with self.engine.begin() as conn:
            # One statement: it takes the write lock at once, so nothing can interleave.
            await conn.execute(
                update(rt)
                .where(rt.c.family_id == family, rt.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )

    async def ready(self) -> bool:
        return await ping(self.engine)

    async def close(self) -> None:
        await self.engine.dispose()


async def _revoke_family(conn: AsyncConnection, family_id: str, now: float) -> None:
    rt = refresh_tokens
    await conn.execute(
        update(rt)
        .where(rt.c.family_id == family_id, rt.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def _record_values(record: RefreshRecord) -> dict[str, object]:
    return {
        "token_hash": record.token_hash,
        "family_id": record.family_id,
        "username": record.username,
        "issued_at": record.issued_at,
        "expires_at": record.expires_at,
    }
