"""`RevocationStore` on the auth database, beside users, chains and keys."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Column, Float, Index, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from auth_service.revocations.model import Revocation, RevocationKind
from shared.stores.failures import store_call

__all__ = ["SQLRevocationStore", "metadata", "revocations"]

metadata = MetaData()
revocations = Table(
    "revocations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(8), nullable=False),
    Column("value", String(256), nullable=False),
    Column("not_before", Float, nullable=True),
    Column("expires_at", Float, nullable=False),
    Index("ix_revocations_expires_at", "expires_at"),
)


class SQLRevocationStore:
    """Revocations as rows; the largest `id` is the version."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @store_call("revocation store")
    async def add(self, entries: Sequence[Revocation]) -> None:
        if not entries:
            return
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(revocations),
                [
                    {
                        "kind": entry.kind.value,
                        "value": entry.value,
                        "not_before": entry.not_before,
                        "expires_at": entry.expires_at,
                    }
                    for entry in entries
                ],
            )

    @store_call("revocation store")
    async def live(self, now: float) -> list[Revocation]:
        query = select(
            revocations.c.kind,
            revocations.c.value,
            revocations.c.expires_at,
            revocations.c.not_before,
        ).where(revocations.c.expires_at > now)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            Revocation(RevocationKind(kind), value, expires_at, not_before)
            for kind, value, expires_at, not_before in rows
        ]

    @store_call("revocation store")
    async def version(self) -> int:
        async with self.engine.connect() as conn:
            return int((await conn.execute(select(func.max(revocations.c.id)))).scalar() or 0)

    async def prune(self, now: float) -> None:
        """Forget revocations that can refuse nothing any more."""
        async with self.engine.begin() as conn:
            await conn.execute(revocations.delete().where(revocations.c.expires_at <= now))
