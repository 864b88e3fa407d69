"""The `ThrottleStore` contract, run against every adapter: in memory and Redis.

Redis expires counters and locks by its own clock, so these tests pass the wall clock as
`now` and wait for a short lockout to end by polling, never by sleeping a fixed time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from auth_service.throttle import MemoryThrottleStore, ThrottleStore
from auth_service.throttle.redis import RedisThrottleStore
from shared.stores.db import create_redis
from tests.backends.outage import UNAVAILABLE, outcomes, recovered
from tests.support.servers import RedisServer

USER, ADDRESS = "user:alice", "addr:198.51.100.7"
KEYS = [(USER, 5), (ADDRESS, 50)]
WINDOW = LOCKOUT = 600.0
DEADLINE = 5.0


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.services)])
async def throttle_store(request: pytest.FixtureRequest) -> AsyncIterator[ThrottleStore]:
    """An empty throttle store on the adapter under test."""
    if request.param == "memory":
        yield MemoryThrottleStore()
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    client = create_redis(server.url)
    yield RedisThrottleStore(client)
    await client.aclose()


async def fail(
    store: ThrottleStore,
    times: int,
    keys: list[tuple[str, int]] = KEYS,
    lockout: float = LOCKOUT,
) -> list[float]:
    """Make `times` attempts one after another; what each returned."""
    return [await store.attempt(keys, WINDOW, lockout, time.time()) for _ in range(times)]


async def test_fifth_failure_locks_the_key_and_later_attempts_get_the_lock_end(
    throttle_store: ThrottleStore,
) -> None:
    """Five attempts are counted (0); the sixth returns a lock end within the lockout."""
    assert await fail(throttle_store, 5) == [0.0] * 5

    now = time.time()
    until = await throttle_store.attempt(KEYS, WINDOW, LOCKOUT, now)

    assert now < until <= now + LOCKOUT
    assert await throttle_store.attempt(KEYS, WINDOW, LOCKOUT, time.time()) > now


async def test_locked_attempt_counts_against_no_key(throttle_store: ThrottleStore) -> None:
    """While the user is locked its attempts leave the address count alone."""
    await fail(throttle_store, 5)
    assert all(until > 0 for until in await fail(throttle_store, 10))

    # The address has 5 failures, so 45 more from other users reach its limit of 50.
    others = [await fail(throttle_store, 1, [(f"user:u{i}", 5), (ADDRESS, 50)]) for i in range(45)]
    assert others == [[0.0]] * 45
    assert (await fail(throttle_store, 1, [("user:last", 5), (ADDRESS, 50)]))[0] > 0


async def test_attempt_reports_the_latest_lock_end_of_its_keys(
    throttle_store: ThrottleStore,
) -> None:
    """With two keys locked for different lockouts, the later end is returned."""
    await fail(throttle_store, 1, [("short", 1)], lockout=100)
    await fail(throttle_store, 1, [("long", 1)], lockout=200)

    now = time.time()
    until = await throttle_store.attempt([("short", 1), ("long", 1)], WINDOW, 300, now)

    assert now + 100 < until <= now + 200


async def test_lock_ends_after_the_lockout(throttle_store: ThrottleStore) -> None:
    """Once the lockout has passed, an attempt is counted again (returns 0)."""
    assert await fail(throttle_store, 5, lockout=0.2) == [0.0] * 5
    assert (await fail(throttle_store, 1, lockout=0.2))[0] > 0

    deadline = time.monotonic() + DEADLINE
    while (await fail(throttle_store, 1, lockout=0.2))[0] > 0:
        assert time.monotonic() < deadline, "the lock outlived its lockout"
        await asyncio.sleep(0.05)


async def test_forgive_takes_back_one_failure_and_lifts_a_lock_below_the_limit(
    throttle_store: ThrottleStore,
) -> None:
    """Forgiving a locked key unlocks it at 4 failures: one attempt later it locks again."""
    await fail(throttle_store, 5)

    await throttle_store.forgive(USER, 5)

    assert await fail(throttle_store, 1) == [0.0]
    assert (await fail(throttle_store, 1))[0] > 0


async def test_forgive_never_banks_credit(throttle_store: ThrottleStore) -> None:
    """Forgiving more failures than were counted still locks at the fifth failure."""
    await throttle_store.forgive(USER, 5)
    await fail(throttle_store, 1)
    await throttle_store.forgive(USER, 5)
    await throttle_store.forgive(USER, 5)

    assert await fail(throttle_store, 5) == [0.0] * 5
    assert (await fail(throttle_store, 1))[0] > 0


async def test_clear_forgets_the_count_and_the_lock(throttle_store: ThrottleStore) -> None:
    """After `clear`, a locked key takes five new failures before it locks again."""
    await fail(throttle_store, 5)

    await throttle_store.clear(USER)

    assert await fail(throttle_store, 5) == [0.0] * 5
    assert (await fail(throttle_store, 1))[0] > 0


async def test_twenty_concurrent_attempts_let_exactly_the_limit_through(
    throttle_store: ThrottleStore,
) -> None:
    """Of 20 concurrent attempts on a key with limit 5, exactly 5 are counted."""
    now = time.time()
    results = await asyncio.gather(
        *(throttle_store.attempt(KEYS, WINDOW, LOCKOUT, now) for _ in range(20))
    )

    assert results.count(0.0) == 5
    assert all(until > now for until in results if until)


async def test_two_redis_stores_share_counts_and_locks(redis_server: RedisServer) -> None:
    """Failures counted by one replica's store add up with another's, and a clear is shared."""
    first, second = create_redis(redis_server.url), create_redis(redis_server.url)
    try:
        one, two = RedisThrottleStore(first), RedisThrottleStore(second)
        assert await fail(one, 3) == [0.0] * 3
        assert await fail(two, 2) == [0.0] * 2

        assert (await fail(one, 1))[0] > 0
        await two.clear(USER)
        assert await fail(one, 1) == [0.0]
    finally:
        await first.aclose()
        await second.aclose()


@pytest.mark.services
async def test_redis_outage_raises_store_unavailable_then_the_store_recovers(
    redis_server: RedisServer,
) -> None:
    """With Redis down every call raises `StoreUnavailable`; once back, the store works."""
    client = create_redis(redis_server.url)
    try:
        store = RedisThrottleStore(client)
        await fail(store, 1)
        redis_server.stop()

        down = await outcomes(
            {
                "attempt": lambda: store.attempt(KEYS, WINDOW, LOCKOUT, time.time()),
                "forgive": lambda: store.forgive(USER, 5),
                "clear": lambda: store.clear(USER),
            }
        )
        assert down == dict.fromkeys(down, UNAVAILABLE)
        assert await store.ready() is False

        redis_server.start()
        assert await recovered(lambda: store.attempt(KEYS, WINDOW, LOCKOUT, time.time())) == 0
        assert await store.ready() is True
    finally:
        await client.aclose()
