"""The version of the pictures, raised by every write, so that caches know when to reload.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "picture_changes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.CheckConstraint("id = 1", name="ck_picture_changes_one_row"),
    )
    op.execute("INSERT INTO picture_changes (id, version) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("picture_changes")
