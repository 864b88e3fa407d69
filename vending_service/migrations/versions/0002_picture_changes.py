"""The version of the pictures, raised by every change, so that caches know when to reload.

Triggers raise it, so every writer does, whatever its code (an older replica during a
rolling upgrade, an operator's SQL). On PostgreSQL they are deferred constraint triggers:
they run at commit, so the one `picture_changes` row is the last lock a writing
transaction takes and writers cannot deadlock on it; and, being per row, a statement that
changes nothing (a share that already exists) raises nothing. SQLite runs one writer at a
time, so its plain row triggers are enough.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

TABLES = ("pictures", "picture_shares")
BUMP = "UPDATE picture_changes SET version = version + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        "picture_changes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.CheckConstraint("id = 1", name="ck_picture_changes_one_row"),
    )
    op.execute("INSERT INTO picture_changes (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION lanyard_picture_changed() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
        for table in TABLES:
            op.execute(
                f"CREATE CONSTRAINT TRIGGER {table}_changed "
                f"AFTER INSERT OR UPDATE OR DELETE ON {table} "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                "EXECUTE FUNCTION lanyard_picture_changed()"
            )
        return
    for table in TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_{event.lower()}_changed AFTER {event} ON {table} "
                f"BEGIN {BUMP}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_changed ON {table}")
        op.execute("DROP FUNCTION lanyard_picture_changed()")
    else:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_{event}_changed")
    op.drop_table("picture_changes")
