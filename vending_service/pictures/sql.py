"""`PictureStore` on SQLAlchemy: SQLite (the embedded default) or PostgreSQL.

Images are blobs beside their pictures. Every change to pictures or shares raises the
`picture_changes` version (triggers). The two reads a gallery makes (`changes`,
`personal`) go through a `Statements`, which on a SQLite file is the worker thread's
(docs/benchmarks.md); everything else uses the engine.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import String, delete, func, insert, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.stores.db import ping
from shared.stores.failures import store_call
from shared.stores.port import Statements
from shared.stores.statements import EngineStatements
from vending_service.pictures.model import Picture
from vending_service.pictures.tables import (
    PERSONAL,
    VERSION,
    images,
    pictures,
    shares,
    visible_to,
)

__all__ = ["SQLPictureStore"]


def _picture(row: Any) -> Picture:
    return Picture(*row)


class SQLPictureStore:
    """Pictures, images and shares in one database; `hot` runs the per-request reads."""

    def __init__(self, engine: AsyncEngine, *, hot: Statements | None = None) -> None:
        self.engine = engine
        self.hot = hot or EngineStatements(engine)

    @store_call("picture store")
    async def add(self, picture: Picture, image: bytes) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(insert(pictures).values(**asdict(picture)))
            await conn.execute(insert(images).values(picture_id=picture.id, data=image))

    @store_call("picture store")
    async def add_catalogue(self, items: list[tuple[Picture, bytes]]) -> None:
        """Insert catalogue pictures that are not there yet; safe when replicas race."""
        if not items:
            return
        dialect = self.engine.dialect.name
        upsert = pg_insert if dialect == "postgresql" else sqlite_insert
        async with self.engine.begin() as conn:
            await conn.execute(
                upsert(pictures).on_conflict_do_nothing(), [asdict(p) for p, _ in items]
            )
            await conn.execute(
                upsert(images).on_conflict_do_nothing(),
                [{"picture_id": p.id, "data": data} for p, data in items],
            )

    @store_call("picture store")
    async def catalogue_size(self, owner: str) -> int:
        async with self.engine.connect() as conn:
            count = await conn.execute(
                select(func.count()).select_from(pictures).where(pictures.c.owner == owner)
            )
            return int(count.scalar() or 0)

    @store_call("picture store")
    async def sample_visible(self, viewer: str, count: int) -> list[Picture]:
        query = select(pictures).where(visible_to(viewer)).order_by(func.random()).limit(count)
        async with self.engine.connect() as conn:
            return [_picture(row) for row in await conn.execute(query)]

    @store_call("picture store")
    async def public_pictures(self) -> list[Picture]:
        """Every public picture, whoever owns it."""
        query = select(pictures).where(pictures.c.visibility == "public")
        async with self.engine.connect() as conn:
            return [_picture(row) for row in await conn.execute(query)]

    @store_call("picture store")
    async def changes(self) -> int:
        """The version of the pictures: it moves whenever any picture or share changes."""
        rows = await self.hot.read(VERSION, {})
        return int(rows[0][0])

    @store_call("picture store")
    async def personal(self, viewer: str) -> list[Picture]:
        """The non-public pictures `viewer` may see: their own, and those shared with them."""
        return [_picture(row) for row in await self.hot.read(PERSONAL, {"viewer": viewer})]

    @store_call("picture store")
    async def get_visible(self, picture_id: str, viewer: str) -> Picture | None:
        query = select(pictures).where(pictures.c.id == picture_id, visible_to(viewer))
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _picture(row)

    @store_call("picture store")
    async def image(self, picture_id: str, viewer: str) -> tuple[str, bytes] | None:
        query = (
            select(pictures.c.content_type, images.c.data)
            .join(images, images.c.picture_id == pictures.c.id)
            .where(pictures.c.id == picture_id, visible_to(viewer))
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else (str(row.content_type), bytes(row.data))

    @store_call("picture store")
    async def delete_own(self, picture_id: str, owner: str) -> bool:
        async with self.engine.begin() as conn:
            # Children first: SQLite enforces ON DELETE CASCADE only with foreign_keys on.
            owned = select(pictures.c.id).where(
                pictures.c.id == picture_id, pictures.c.owner == owner
            )
            await conn.execute(delete(shares).where(shares.c.picture_id.in_(owned)))
            await conn.execute(delete(images).where(images.c.picture_id.in_(owned)))
            result = await conn.execute(
                delete(pictures).where(pictures.c.id == picture_id, pictures.c.owner == owner)
            )
        return bool(result.rowcount)

    @store_call("picture store")
    async def share(self, picture_id: str, owner: str, username: str) -> bool:
        dialect = self.engine.dialect.name
        upsert = pg_insert if dialect == "postgresql" else sqlite_insert
        owned = select(pictures.c.id, literal(username, String)).where(
            pictures.c.id == picture_id, pictures.c.owner == owner
        )
        async with self.engine.begin() as conn:
            await conn.execute(
                upsert(shares)
                .from_select(["picture_id", "username"], owned)
                .on_conflict_do_nothing()
            )
            found = await conn.execute(
                select(pictures.c.id).where(pictures.c.id == picture_id, pictures.c.owner == owner)
            )
            return found.first() is not None

    @store_call("picture store")
    async def unshare(self, picture_id: str, owner: str, username: str) -> bool:
        owned = select(pictures.c.id).where(pictures.c.id == picture_id, pictures.c.owner == owner)
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(shares).where(shares.c.picture_id.in_(owned), shares.c.username == username)
            )
            found = await conn.execute(owned)
            return found.first() is not None

    async def ready(self) -> bool:
        return await ping(self.engine)
