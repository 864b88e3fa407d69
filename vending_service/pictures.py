"""Cat pictures and who may see them: the `PictureStore` port and its SQL adapter.

Visible to a caller: public pictures, the caller's own, and those shared with the caller.
A picture the caller may not see is reported exactly like a missing one.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any, Protocol

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    and_,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import CompoundSelect

from shared.db import ping
from shared.stores import store_call
from vending_service.sqlite_worker import SQLiteWorker

__all__ = ["Picture", "PictureStore", "SQLPictureStore"]


@dataclass(frozen=True, slots=True)
class Picture:
    id: str
    title: str
    owner: str
    visibility: str
    content_type: str
    width: int
    height: int
    created_at: float
    # `record_json`'s two halves, made on first use: the other fields never change.
    _json: tuple[str, str] | None = field(default=None, init=False, compare=False, repr=False)

    def record(self, image_url: str) -> dict[str, object]:
        """The contract's picture record."""
        return {
            "id": self.id,
            "title": self.title,
            "owner": self.owner,
            "visibility": self.visibility,
            "image_url": image_url,
            "width": self.width,
            "height": self.height,
            "created_at": _rfc3339(self.created_at),
        }

    def record_json(self, image_url: str) -> str:
        """`record(image_url)` as compact JSON text. Everything but the URL is encoded once
        per picture: a gallery of ten costs a few string joins, not an encoder run."""
        halves = self._json
        if halves is None:
            halves = _record_halves(self)
            object.__setattr__(self, "_json", halves)
        before, after = halves
        return f"{before}{encode_basestring(image_url)}{after}"


_json_text = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
"""Compact JSON text, as Starlette's `JSONResponse` writes it."""


def _record_halves(picture: Picture) -> tuple[str, str]:
    """A picture's record as JSON text in two halves, cut where `image_url` goes."""
    items = list(picture.record("").items())
    cut = [name for name, _ in items].index("image_url")
    assert 0 < cut < len(items) - 1, "image_url must sit between other members"
    before, after = _json_text(dict(items[:cut])), _json_text(dict(items[cut + 1 :]))
    return f'{before[:-1]},"image_url":', f",{after[1:]}"


@functools.lru_cache(maxsize=4096)
def _rfc3339(timestamp: float) -> str:
    # The whole catalogue shares one timestamp: formatting it once beats ten times a request.
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class PictureStore(Protocol):
    async def add(self, picture: Picture, image: bytes) -> None: ...
    async def add_catalogue(self, pictures: list[tuple[Picture, bytes]]) -> None: ...
    async def catalogue_size(self, owner: str) -> int: ...
    async def sample_visible(self, viewer: str, count: int) -> list[Picture]: ...
    async def get_visible(self, picture_id: str, viewer: str) -> Picture | None: ...
    async def image(self, picture_id: str, viewer: str) -> tuple[str, bytes] | None: ...
    async def delete_own(self, picture_id: str, owner: str) -> bool: ...
    async def share(self, picture_id: str, owner: str, username: str) -> bool: ...
    async def unshare(self, picture_id: str, owner: str, username: str) -> bool: ...
    async def ready(self) -> bool: ...


metadata = MetaData()
pictures = Table(
    "pictures",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("title", String(100), nullable=False),
    Column("owner", String(64), nullable=False, index=True),
    Column("visibility", String(8), nullable=False, index=True),
    Column("content_type", String(32), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
)
images = Table(
    "picture_images",
    metadata,
    Column(
        "picture_id", String(64), ForeignKey("pictures.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("data", LargeBinary, nullable=False),
)
shares = Table(
    "picture_shares",
    metadata,
    Column("picture_id", String(64), ForeignKey("pictures.id", ondelete="CASCADE"), nullable=False),
    Column("username", String(64), nullable=False, index=True),
    PrimaryKeyConstraint("picture_id", "username"),
)

# One row whose `version` every change to pictures or shares raises, in the same
# transaction (triggers, migration 0002): while a process reads the same version, nothing
# it may show has changed.
changes = Table(
    "picture_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", BigInteger, nullable=False),
)


def _visible_to(viewer: str) -> ColumnElement[bool]:
    shared_with = exists().where(
        and_(shares.c.picture_id == pictures.c.id, shares.c.username == viewer)
    )
    return or_(pictures.c.visibility == "public", pictures.c.owner == viewer, shared_with)


def _picture(row: object) -> Picture:
    return Picture(**row._asdict())  # type: ignore[attr-defined]


def _personal(viewer: str) -> CompoundSelect[Any]:
    """Two index lookups, disjoint by construction: the viewer's own non-public pictures,
    and the non-public pictures others shared with them."""
    own = select(pictures).where(pictures.c.owner == viewer, pictures.c.visibility != "public")
    shared = (
        select(pictures)
        .join(shares, shares.c.picture_id == pictures.c.id)
        .where(
            shares.c.username == viewer,
            pictures.c.owner != viewer,
            pictures.c.visibility != "public",
        )
    )
    return union_all(own, shared)


# The worker's forms of `changes()` and `personal()`, which run on every gallery request.
_VERSION_SQLITE = "SELECT version FROM picture_changes WHERE id = 1"
_PERSONAL_SQLITE = """
SELECT id, title, owner, visibility, content_type, width, height, created_at
FROM pictures WHERE owner = :viewer AND visibility != 'public'
UNION ALL
SELECT p.id, p.title, p.owner, p.visibility, p.content_type, p.width, p.height, p.created_at
FROM picture_shares AS s JOIN pictures AS p ON p.id = s.picture_id
WHERE s.username = :viewer AND p.owner != :viewer AND p.visibility != 'public'
"""


class SQLPictureStore:
    """Pictures in SQLite (the embedded default) or PostgreSQL; images as blobs beside them.

    Every change to pictures or shares raises the `picture_changes` version (triggers). With a
    `worker` (SQLite only), the per-request reads (`changes`, `personal`) go through it
    rather than through SQLAlchemy; everything else uses the engine.
    """

    def __init__(self, engine: AsyncEngine, *, worker: SQLiteWorker | None = None) -> None:
        self.engine = engine
        self.worker = worker

    @store_call("picture store")
    async def add(self, picture: Picture, image: bytes) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(insert(pictures).values(**_values(picture)))
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
                upsert(pictures).on_conflict_do_nothing(), [_values(p) for p, _ in items]
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
        query = select(pictures).where(_visible_to(viewer)).order_by(func.random()).limit(count)
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
        if self.worker is not None:
            return int(await self.worker.read(lambda db: db.execute(_VERSION_SQLITE).fetchone()[0]))
        async with self.engine.connect() as conn:
            version = await conn.execute(select(changes.c.version).where(changes.c.id == 1))
            return int(version.scalar_one())

    @store_call("picture store")
    async def personal(self, viewer: str) -> list[Picture]:
        """The non-public pictures `viewer` may see: their own, and those shared with them."""
        if self.worker is not None:
            params = {"viewer": viewer}
            return await self.worker.read(
                lambda db: [Picture(*row) for row in db.execute(_PERSONAL_SQLITE, params)]
            )
        async with self.engine.connect() as conn:
            return [_picture(row) for row in await conn.execute(_personal(viewer))]

    @store_call("picture store")
    async def get_visible(self, picture_id: str, viewer: str) -> Picture | None:
        query = select(pictures).where(pictures.c.id == picture_id, _visible_to(viewer))
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _picture(row)

    @store_call("picture store")
    async def image(self, picture_id: str, viewer: str) -> tuple[str, bytes] | None:
        query = (
            select(pictures.c.content_type, images.c.data)
            .join(images, images.c.picture_id == pictures.c.id)
            .where(pictures.c.id == picture_id, _visible_to(viewer))
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


def _values(picture: Picture) -> dict[str, object]:
    return {
        "id": picture.id,
        "title": picture.title,
        "owner": picture.owner,
        "visibility": picture.visibility,
        "content_type": picture.content_type,
        "width": picture.width,
        "height": picture.height,
        "created_at": picture.created_at,
    }
