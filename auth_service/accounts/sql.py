"""`AccountStore` on SQLAlchemy: SQLite by default, PostgreSQL when configured."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Select

from auth_service.accounts.model import RefreshRecord, Spend, Spent, User
from auth_service.errors import UsernameTaken
from shared.stores.db import ping
from shared.stores.failures import store_call
from shared.stores.migrations import migrate

__all__ = ["MIGRATIONS", "SQLAccountStore"]

MIGRATIONS = Path(__file__).parent.parent / "migrations"


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
    Column("scope", String(255), nullable=True),
    Column("session_ends_at", Float, nullable=True),
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
    async def find_refresh(self, token_hash: str) -> RefreshRecord | None:
        rt = refresh_tokens
        query = select(
            rt.c.token_hash,
            rt.c.family_id,
            rt.c.username,
            rt.c.issued_at,
            rt.c.expires_at,
            rt.c.scope,
            rt.c.session_ends_at,
        ).where(rt.c.token_hash == token_hash)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else RefreshRecord(*row)

    @store_call("user store")
    async def spend_refresh(self, token_hash: str, successor: RefreshRecord, now: float) -> Spend:
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
                    .returning(rt.c.family_id, rt.c.username, rt.c.scope, rt.c.session_ends_at)
                )
            ).first()
            if spent is not None:
                values = _record_values(successor)
                values.update(
                    family_id=spent.family_id,
                    username=spent.username,
                    scope=spent.scope,
                    session_ends_at=spent.session_ends_at,
                    expires_at=_capped(successor.expires_at, spent.session_ends_at),
                )
                await conn.execute(insert(rt).values(**values))
                return Spend(Spent.FRESH, str(spent.family_id), str(spent.username), spent.scope)
            previous = (
                await conn.execute(
                    select(rt.c.family_id, rt.c.username, rt.c.spent_at).where(
                        rt.c.token_hash == token_hash
                    )
                )
            ).first()
        if previous is not None and previous.spent_at is not None:
            return Spend(Spent.REUSED, str(previous.family_id), str(previous.username))
        return Spend(Spent.INVALID)

    @store_call("user store")
    async def revoke_family(self, family_id: str, now: float) -> None:
        await self._revoke(refresh_tokens.c.family_id == family_id, now)

    @store_call("user store")
    async def revoke_family_of(self, token_hash: str, now: float) -> str | None:
        rt = refresh_tokens
        family = select(rt.c.family_id).where(rt.c.token_hash == token_hash)
        # The update first: it takes the write lock at once, so nothing can interleave.
        return await self._revoke(rt.c.family_id == family.scalar_subquery(), now, family)

    @store_call("user store")
    async def revoke_user(self, username: str, now: float) -> None:
        await self._revoke(refresh_tokens.c.username == username, now)

    async def _revoke(
        self, chain: ColumnElement[bool], now: float, then: Select[Any] | None = None
    ) -> str | None:
        rt = refresh_tokens
        async with self.engine.begin() as conn:
            await conn.execute(
                update(rt).where(chain, rt.c.revoked_at.is_(None)).values(revoked_at=now)
            )
            found = (await conn.execute(then)).first() if then is not None else None
        return None if found is None else str(found[0])

    async def ready(self) -> bool:
        return await ping(self.engine)

    async def close(self) -> None:
        await self.engine.dispose()


def _record_values(record: RefreshRecord) -> dict[str, object]:
    return {
        "token_hash": record.token_hash,
        "family_id": record.family_id,
        "username": record.username,
        "issued_at": record.issued_at,
        "expires_at": record.expires_at,
        "scope": record.scope,
        "session_ends_at": record.session_ends_at,
    }


def _capped(expires_at: float, session_ends_at: float | None) -> float:
    """A successor's expiry: never past its chain's session end."""
    return expires_at if session_ends_at is None else min(expires_at, session_ends_at)
