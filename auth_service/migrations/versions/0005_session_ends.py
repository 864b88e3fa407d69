"""When a refresh chain's session ends for good (`SESSION_MAX_AGE` after its first login).

Chains from before this revision end 30 days (the default) after their first token.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"

_DEFAULT_MAX_AGE = 30 * 86400


def upgrade() -> None:
    op.add_column("refresh_tokens", sa.Column("session_ends_at", sa.Float, nullable=True))
    op.execute(
        sa.text(
            "UPDATE refresh_tokens SET session_ends_at = "
            "(SELECT MIN(chain.issued_at) FROM refresh_tokens AS chain "
            "WHERE chain.family_id = refresh_tokens.family_id) + :max_age"
        ).bindparams(max_age=_DEFAULT_MAX_AGE)
    )


def downgrade() -> None:
    with op.batch_alter_table("refresh_tokens") as batch:
        batch.drop_column("session_ends_at")
