"""The pictures' tables, and the queries every adapter shares (each written once)."""

from __future__ import annotations

from typing import Any

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
    bindparam,
    exists,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import CompoundSelect, Select

__all__ = [
    "PERSONAL",
    "VERSION",
    "changes",
    "images",
    "metadata",
    "pictures",
    "shares",
    "visible_to",
]

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


def visible_to(viewer: str) -> ColumnElement[bool]:
    """Public, the viewer's own, or shared with the viewer."""
    shared_with = exists().where(
        and_(shares.c.picture_id == pictures.c.id, shares.c.username == viewer)
    )
    return or_(pictures.c.visibility == "public", pictures.c.owner == viewer, shared_with)


def _personal() -> CompoundSelect[Any]:
    viewer = bindparam("viewer", type_=String)
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


PERSONAL: CompoundSelect[Any] = _personal()
"""The non-public pictures `:viewer` may see: two index lookups, disjoint by construction
(their own, and those others shared with them). Runs on every gallery of a new caller."""

VERSION: Select[Any] = select(changes.c.version).where(changes.c.id == 1)
"""The pictures' version. Runs on every gallery request."""
