"""The `QuotaStore` contract, run against every adapter: in memory, SQL through the engine
and through the SQLite worker (all in `make test`), SQL on PostgreSQL and Redis
(`make test-services`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.stores.db import create_engine, create_redis
from shared.stores.migrations import migrate
from shared.stores.sqlite_worker import SQLiteWorker, sqlite_file
from shared.stores.statements import EngineStatements, WorkerStatements
from tests.backends.outage import (
    UNAVAILABLE,
    outcomes,
    recovered,
    sqlite_url,
    stop_postgres,
)
from tests.support.servers import RedisServer, running_postgres
from tests.support.stores import MemoryQuotaStore
from vending_service.app import MIGRATIONS
from vending_service.quotas import DAY, Quota, QuotaExceeded, QuotaStore, quota_day
from vending_service.quotas.redis import RedisQuotaStore
from vending_service.quotas.sql import SQLQuotaStore

LIMIT = 300


@dataclass(frozen=True)
class Backend:
    """Where a quota store keeps its counters: an adapter name and its URL."""

    name: str
    url: str


@contextlib.asynccontextmanager
async def open_quota_store(backend: Backend) -> AsyncIterator[QuotaStore]:
    """A quota store of its own (engine or client) on `backend`, as one replica would have."""
    if backend.name == "memory":
        yield MemoryQuotaStore()
        return
    if backend.name == "redis":
        client = create_redis(backend.url)
        try:
            yield RedisQuotaStore(client)
        finally:
            await client.aclose()
        return
    engine = create_engine(backend.url)
    try:
        await migrate(engine, MIGRATIONS, "alembic_version_vending")
        if backend.name == "sqlite-worker":
            path = sqlite_file(backend.url)
            assert path is not None
            worker = SQLiteWorker(path)
            try:
                yield SQLQuotaStore(WorkerStatements(worker))
            finally:
                await worker.aclose()
        else:
            yield SQLQuotaStore(EngineStatements(engine))
    finally:
        await engine.dispose()


SHARED_BACKENDS = [
    "sqlite",
    "sqlite-worker",
    pytest.param("postgresql", marks=pytest.mark.services),
    pytest.param("redis", marks=pytest.mark.services),
]
"""Where replicas share their counters: every backend but memory."""


@pytest.fixture(params=["memory", *SHARED_BACKENDS])
def quota_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """Empty storage for quota counters, one per adapter."""
    if request.param == "memory":
        return Backend("memory", "")
    if request.param in ("sqlite", "sqlite-worker"):
        return Backend(request.param, sqlite_url(tmp_path, "vending.db"))
    if request.param == "postgresql":
        return Backend("postgresql", str(request.getfixturevalue("postgres_url")))
    server: RedisServer = request.getfixturevalue("redis_server")
    return Backend("redis", server.url)


@pytest.fixture
async def quota_store(quota_backend: Backend) -> AsyncIterator[QuotaStore]:
    """A quota store on the adapter under test."""
    async with open_quota_store(quota_backend) as store:
        yield store


@pytest.fixture
def now() -> float:
    """Noon (UTC) today: Redis expires counters by the wall clock, so `now` must be near it."""
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    return today.timestamp()


def resets_at(now: float) -> datetime:
    return quota_day(now)[1]


async def test_charge_within_the_limit_returns_the_new_usage(
    quota_store: QuotaStore, now: float
) -> None:
    """Charges within the limit add up, and each returns the day's usage and reset instant."""
    assert await quota_store.charge("alice", 3, LIMIT, now) == Quota(LIMIT, 3, resets_at(now))
    quota = await quota_store.charge("alice", 4, LIMIT, now)

    assert quota == Quota(LIMIT, 7, resets_at(now))
    assert quota.remaining == 293
    assert quota.resets_at == datetime.fromtimestamp(now, UTC) + timedelta(hours=12)


async def test_charge_past_the_limit_raises_with_current_usage_and_charges_nothing(
    quota_store: QuotaStore, now: float
) -> None:
    """A charge that would pass the limit raises `QuotaExceeded(used)`; a fitting one still fits."""
    await quota_store.charge("alice", 295, LIMIT, now)

    with pytest.raises(QuotaExceeded) as refused:
        await quota_store.charge("alice", 10, LIMIT, now)

    assert refused.value.quota == Quota(LIMIT, 295, resets_at(now))
    assert refused.value.requested == 10
    assert await quota_store.usage("alice", LIMIT, now) == Quota(LIMIT, 295, resets_at(now))
    assert await quota_store.charge("alice", 5, LIMIT, now) == Quota(LIMIT, 300, resets_at(now))


async def test_amount_over_the_limit_is_refused_even_on_an_unused_day(
    quota_store: QuotaStore, now: float
) -> None:
    """Asking for more than the whole limit is refused with nothing charged."""
    with pytest.raises(QuotaExceeded) as refused:
        await quota_store.charge("alice", LIMIT + 1, LIMIT, now)

    assert refused.value.quota == Quota(LIMIT, 0, resets_at(now))
    assert await quota_store.usage("alice", LIMIT, now) == Quota(LIMIT, 0, resets_at(now))


async def test_usage_reads_the_count_without_charging(quota_store: QuotaStore, now: float) -> None:
    """`usage` reports 0 for a new subject and the charged total after, never adding to it."""
    assert await quota_store.usage("alice", LIMIT, now) == Quota(LIMIT, 0, resets_at(now))
    await quota_store.charge("alice", 2, LIMIT, now)

    assert await quota_store.usage("alice", LIMIT, now) == Quota(LIMIT, 2, resets_at(now))
    assert await quota_store.usage("alice", LIMIT, now) == Quota(LIMIT, 2, resets_at(now))


async def test_each_subject_has_its_own_count(quota_store: QuotaStore, now: float) -> None:
    """One subject's full quota leaves another's untouched."""
    await quota_store.charge("alice", LIMIT, LIMIT, now)

    assert await quota_store.charge("bob", 1, LIMIT, now) == Quota(LIMIT, 1, resets_at(now))


async def test_a_new_utc_day_starts_from_zero(quota_store: QuotaStore, now: float) -> None:
    """Yesterday's full quota does not count against the next UTC day."""
    await quota_store.charge("alice", LIMIT, LIMIT, now)
    with pytest.raises(QuotaExceeded):
        await quota_store.charge("alice", 1, LIMIT, now)

    tomorrow = now + DAY
    assert await quota_store.charge("alice", 1, LIMIT, tomorrow) == Quota(
        LIMIT, 1, resets_at(now) + timedelta(days=1)
    )
    assert (await quota_store.usage("alice", LIMIT, now)).used == LIMIT


async def test_fifty_concurrent_charges_fill_exactly_to_the_limit(
    quota_store: QuotaStore, now: float
) -> None:
    """At 250 of 300, 50 concurrent charges of 10: five succeed, 45 are refused, usage is 300."""
    await quota_store.charge("alice", 250, LIMIT, now)

    results = await asyncio.gather(
        *(quota_store.charge("alice", 10, LIMIT, now) for _ in range(50)), return_exceptions=True
    )

    charged = sorted(r.used for r in results if isinstance(r, Quota))
    refused = [r for r in results if isinstance(r, QuotaExceeded)]
    assert charged == [260, 270, 280, 290, 300]
    assert len(refused) == 45
    assert (await quota_store.usage("alice", LIMIT, now)).used == LIMIT


@pytest.mark.parametrize("quota_backend", SHARED_BACKENDS, indirect=True)
async def test_two_replicas_charging_at_once_share_one_limit(
    quota_backend: Backend, now: float
) -> None:
    """Two stores with their own connections, 25 charges each: five in all succeed."""
    async with open_quota_store(quota_backend) as one, open_quota_store(quota_backend) as two:
        await one.charge("alice", 250, LIMIT, now)

        results = await asyncio.gather(
            *(store.charge("alice", 10, LIMIT, now) for store in [one, two] * 25),
            return_exceptions=True,
        )

        charged = [r for r in results if isinstance(r, Quota)]
        refused = [r for r in results if isinstance(r, QuotaExceeded)]
        assert (len(charged), len(refused)) == (5, 45)
        assert (await one.usage("alice", LIMIT, now)).used == LIMIT
        assert (await two.usage("alice", LIMIT, now)).used == LIMIT


@pytest.mark.services
async def test_redis_charges_arriving_together_share_round_trips(
    redis_server: RedisServer, now: float
) -> None:
    """Concurrent charges go to Redis in batches, each counted exactly once."""
    client = create_redis(redis_server.url)
    try:
        store = RedisQuotaStore(client)
        results = await asyncio.gather(*(store.charge("alice", 1, LIMIT, now) for _ in range(50)))

        assert sorted(q.used for q in results) == list(range(1, 51))
        assert store.round_trips < 50
        assert (await store.usage("alice", LIMIT, now)).used == 50
    finally:
        await client.aclose()


@pytest.mark.services
async def test_redis_counters_expire_on_their_own(redis_server: RedisServer, now: float) -> None:
    """A Redis counter carries a TTL, so old days do not pile up."""
    client = create_redis(redis_server.url)
    try:
        await RedisQuotaStore(client).charge("alice", 1, LIMIT, now)
        key = f"lanyard:quota:{quota_day(now)[0]}:alice"

        assert await client.get(key) == b"1"
        assert await client.ttl(key) > 0
    finally:
        await client.aclose()


@pytest.mark.services
async def test_redis_outage_raises_store_unavailable_then_the_store_recovers(
    redis_server: RedisServer, now: float
) -> None:
    """With Redis down, charge and usage raise `StoreUnavailable`; once back, they work."""
    client = create_redis(redis_server.url)
    try:
        store = RedisQuotaStore(client)
        await store.charge("alice", 1, LIMIT, now)
        redis_server.stop()

        down = await outcomes(
            {
                "charge": lambda: store.charge("alice", 1, LIMIT, now),
                "usage": lambda: store.usage("alice", LIMIT, now),
            }
        )
        assert down == dict.fromkeys(down, UNAVAILABLE)
        assert await store.ready() is False

        redis_server.start()
        # The private server keeps no data across restarts: the day starts over.
        quota = await recovered(lambda: store.charge("alice", 2, LIMIT, now))
        assert quota == Quota(LIMIT, 2, resets_at(now))
        assert await store.ready() is True
    finally:
        await client.aclose()


@pytest.mark.services
async def test_postgres_outage_raises_store_unavailable_then_the_store_recovers(
    now: float,
) -> None:
    """With PostgreSQL down, charge and usage raise `StoreUnavailable`; once back, they work."""
    with running_postgres() as server:  # this test's own: it stops it
        async with open_quota_store(
            Backend("postgresql", server.create_database("quotas"))
        ) as store:
            await store.charge("alice", 1, LIMIT, now)
            stop_postgres(server)

            down = await outcomes(
                {
                    "charge": lambda: store.charge("alice", 1, LIMIT, now),
                    "charge_over_limit": lambda: store.charge("alice", LIMIT + 1, LIMIT, now),
                    "usage": lambda: store.usage("alice", LIMIT, now),
                }
            )
            assert down == dict.fromkeys(down, UNAVAILABLE)
            assert await store.ready() is False

            server.start()
            quota = await recovered(lambda: store.charge("alice", 2, LIMIT, now))
            assert quota == Quota(LIMIT, 3, resets_at(now))
            assert await store.ready() is True
