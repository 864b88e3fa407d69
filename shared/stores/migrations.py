"""Schema migrations with Alembic, run at start (or by a CLI command), safe when replicas race.

Each service keeps its own migration scripts and its own version table, so the two can
share one database. On PostgreSQL a transaction-scoped advisory lock serialises replicas
that start together (DDL is transactional there); on SQLite a file lock beside the
database does.
"""

from __future__ import annotations

import contextlib
import fcntl
import zlib
from collections.abc import Iterator
from pathlib import Path

import anyio
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.files import private_file

__all__ = ["migrate"]


def _config(script_location: Path, version_table: str, connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["connection"] = connection
    config.attributes["version_table"] = version_table
    return config


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    private_file(path)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


async def migrate(engine: AsyncEngine, script_location: Path, version_table: str) -> None:
    """Bring the schema to the newest revision of `script_location`."""

    def upgrade(connection: Connection) -> None:
        command.upgrade(_config(script_location, version_table, connection), "head")

    url = make_url(str(engine.url))
    if url.get_backend_name() == "postgresql":
        async with engine.begin() as conn:
            key = zlib.crc32(version_table.encode())
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
            await conn.run_sync(upgrade)
        return
    database = url.database
    lock = Path(f"{database}.migrate.lock") if database and database != ":memory:" else None
    if lock is None:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade)
        return
    # flock blocks: wait for it in a worker thread, then migrate while holding it.
    cm = _file_lock(lock)
    await anyio.to_thread.run_sync(cm.__enter__)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade)
    finally:
        cm.__exit__(None, None, None)
