"""The private servers start and answer."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from shared.stores.db import create_engine, create_redis
from tests.support.servers import RedisServer

pytestmark = pytest.mark.services


async def test_postgres_answers(postgres_url: str) -> None:
    """A fresh database on the private PostgreSQL answers a query."""
    engine = create_engine(postgres_url)
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT 41 + 1"))).scalar() == 42
    await engine.dispose()


async def test_redis_answers_and_comes_back(redis_server: RedisServer) -> None:
    """The private redis-server answers, and answers again after a restart."""
    client = create_redis(redis_server.url)
    assert await client.ping()
    redis_server.stop()
    redis_server.start()
    assert await client.ping()
    await client.aclose()
