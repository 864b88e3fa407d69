"""Database engines for both services: SQLite (embedded default) or PostgreSQL, via SQLAlchemy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from redis import exceptions as redis_errors
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.files import private_file

__all__ = ["create_engine", "create_redis", "ping"]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the one writer; busy_timeout makes writers queue, not fail.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_engine(url: str) -> AsyncEngine:
    """An async engine for `url`; for a SQLite file, the file is made 0600 in a 0700 folder
    (SQLite gives its -wal and -shm files the database's mode) and WAL switched on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            private_file(Path(database))
        engine = create_async_engine(url)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # Short timeouts: a store that is down must answer 503 quickly, not hang a request.
    return create_async_engine(
        url,
        pool_pre_ping=True,
        pool_timeout=5,
        connect_args={"timeout": 3, "command_timeout": 10},
    )


def create_redis(url: str) -> Redis:
    """A Redis client that fails fast when the server is away and reconnects by itself."""
    # One quick retry: a pooled connection that died with a restarted server is replaced.
    return Redis.from_url(
        url,
        socket_timeout=2,
        socket_connect_timeout=2,
        health_check_interval=5,
        retry=Retry(NoBackoff(), 1),
        retry_on_error=[redis_errors.ConnectionError],
    )


async def ping(engine: AsyncEngine) -> bool:
    """True when the database answers a trivial query."""
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        return False
    return True
