"""`KeyStore` on the auth database (SQLite or PostgreSQL), beside users and refresh chains."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from auth_service.keys.model import KeyRecord
from shared.stores.failures import store_call

__all__ = ["SQLKeyStore", "metadata", "signing_keys"]

metadata = MetaData()
signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("generation", Integer, nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
    Column("activates_at", Float, nullable=False),
    Column("retired_at", Float, nullable=True),
    Column("public_jwk", Text, nullable=False),
    Column("wrapped", LargeBinary, nullable=False),
    Column("kek_id", String(32), nullable=False),
)


class SQLKeyStore:
    """Signing keys as rows; the unique `generation` settles rotations that race."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @store_call("key store")
    async def load(self) -> list[KeyRecord]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(signing_keys))
            return [
                KeyRecord(
                    kid=row.kid,
                    generation=row.generation,
                    created_at=row.created_at,
                    activates_at=row.activates_at,
                    retired_at=row.retired_at,
                    public_jwk=row.public_jwk,
                    wrapped=bytes(row.wrapped),
                    kek_id=row.kek_id,
                )
                for row in rows
            ]

    @store_call("key store")
    async def add(self, record: KeyRecord) -> bool:
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    insert(signing_keys).values(
                        kid=record.kid,
                        generation=record.generation,
                        created_at=record.created_at,
                        activates_at=record.activates_at,
                        retired_at=record.retired_at,
                        public_jwk=record.public_jwk,
                        wrapped=record.wrapped,
                        kek_id=record.kek_id,
                    )
                )
        except IntegrityError:
            return False
        return True

    @store_call("key store")
    async def retire(self, kid: str, now: float) -> bool:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(signing_keys)
                .where(signing_keys.c.kid == kid, signing_keys.c.retired_at.is_(None))
                .values(retired_at=now)
            )
            found = await conn.execute(select(signing_keys.c.kid).where(signing_keys.c.kid == kid))
            return found.first() is not None
