"""Pictures, their images, shares, and daily quota counters.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "pictures",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("visibility", sa.String(8), nullable=False),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_pictures_owner", "pictures", ["owner"])
    op.create_index("ix_pictures_visibility", "pictures", ["visibility"])
    op.create_table(
        "picture_images",
        sa.Column(
            "picture_id",
            sa.String(64),
            sa.ForeignKey("pictures.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "picture_shares",
        sa.Column(
            "picture_id",
            sa.String(64),
            sa.ForeignKey("pictures.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("username", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("picture_id", "username"),
    )
    op.create_index("ix_picture_shares_username", "picture_shares", ["username"])
    op.create_table(
        "quota_usage",
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("used", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("subject", "day"),
    )


def downgrade() -> None:
    op.drop_table("quota_usage")
    op.drop_table("picture_shares")
    op.drop_table("picture_images")
    op.drop_table("pictures")
