"""A store taken away under load: 503 with Retry-After (or service, when told to fail open),
never 500; normal again within 5 s of its return, and no accepted write lost."""

from __future__ import annotations

import asyncio
import itertools
import json
import tempfile
from collections import Counter
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from types import TracebackType

import httpx
import pytest

from tests.backends.replicas import (
    RECOVERY_DEADLINE,
    Fleet,
    Send,
    answers_with,
    assert_unavailable,
    bearer,
    bounded,
    credentials,
    fleet_in,
)
from tests.support.servers import PostgresServer, RedisServer
from tests.support.services import Service, login
from tests.support.waits import eventually

pytestmark = pytest.mark.services


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    with fleet_in(tmp_path) as started:
        yield started


class Load:
    """A few clients sending one request after another until the block ends."""

    def __init__(self, send: Send, workers: int = 4) -> None:
        self._send = send
        self._workers = workers
        self._done = asyncio.Event()
        self._task: asyncio.Future[list[None]] | None = None
        self.answers: list[httpx.Response] = []

    async def __aenter__(self) -> Load:
        self._task = asyncio.gather(*(self._worker() for _ in range(self._workers)))
        await eventually(self._running, RECOVERY_DEADLINE, "the load to start")
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def _worker(self) -> None:
        while not self._done.is_set():
            self.answers.append(await self._send())

    async def _running(self) -> bool:
        return bool(self.answers)

    async def stop(self) -> Counter[int]:
        """Stop sending; how many answers of each status came back."""
        self._done.set()
        if self._task is not None:
            await self._task
        return Counter(a.status_code for a in self.answers)


def _vending_on_redis(
    fleet: Fleet, postgres_url: str, redis: RedisServer, mode: str
) -> tuple[Service, dict[str, str]]:
    """An auth replica, a vending replica keeping quotas in `redis`, and a caller's headers."""
    auth = fleet.auth()
    vending = fleet.vending(
        postgres_url, redis_url=redis.url, QUOTA_FAILURE_MODE=mode, QUOTA_FREE="1000000"
    )
    fleet.await_ready()
    return vending, bearer(login(auth.url, "felix"))


async def test_quota_store_outage_fails_closed_with_503_and_recovers(
    fleet: Fleet, postgres_url: str, redis_server: RedisServer
) -> None:
    """Redis down under load: /cats, /readyz say 503 + Retry-After; 200 within 5 s of its return."""
    vending, headers = _vending_on_redis(fleet, postgres_url, redis_server, "closed")

    async with fleet.watch.client() as client:
        buy = partial(client.get, f"{vending.url}/cats", params={"count": 1}, headers=headers)
        async with Load(buy) as load:
            with fleet.watch.outage():
                await asyncio.to_thread(redis_server.stop)
                for answer in await bounded(8, [buy] * 16):
                    assert_unavailable(answer)
                assert_unavailable(await client.get(f"{vending.url}/readyz"))

                await asyncio.to_thread(redis_server.start)
                await eventually(
                    partial(answers_with, buy, 200), RECOVERY_DEADLINE, "a 200 after Redis returned"
                )
                seen = await load.stop()
        assert set(seen) == {200, 503}, seen
        assert [a.status_code for a in await bounded(8, [buy] * 16)] == [200] * 16
        assert (await client.get(f"{vending.url}/readyz")).status_code == 200
    fleet.assert_no_server_errors()


async def test_quota_store_outage_fails_open_and_keeps_selling(
    fleet: Fleet, postgres_url: str, redis_server: RedisServer
) -> None:
    """With QUOTA_FAILURE_MODE=open, /cats keeps answering 200 while Redis is stopped."""
    vending, headers = _vending_on_redis(fleet, postgres_url, redis_server, "open")

    async with fleet.watch.client() as client:
        buy = partial(client.get, f"{vending.url}/cats", params={"count": 1}, headers=headers)
        async with Load(buy) as load:
            await asyncio.to_thread(redis_server.stop)
            during = await bounded(8, [buy] * 16)
            assert [a.status_code for a in during] == [200] * 16
            assert all(len(a.json()["cats"]) == 1 for a in during)
            await asyncio.to_thread(redis_server.start)
            seen = await load.stop()
        assert set(seen) == {200}, seen
    fleet.assert_no_server_errors()


async def test_user_store_outage_answers_503_and_keeps_every_accepted_user(fleet: Fleet) -> None:
    """PostgreSQL down: /register, /login, /readyz say 503; logins back in 5 s, no 201 lost."""
    with tempfile.TemporaryDirectory(prefix="lanyard-pg-outage-") as workdir:
        server = PostgresServer(Path(workdir))
        server.start()
        try:
            await _user_store_outage(fleet, server)
        finally:
            fleet.stop()
            server.stop()


async def _user_store_outage(fleet: Fleet, server: PostgresServer) -> None:
    auth = fleet.auth(server.create_database("auth"))
    fleet.await_ready()
    fresh_names = (f"during{i:04d}" for i in itertools.count())

    async with fleet.watch.client() as client:

        def register(username: str) -> Send:
            return partial(client.post, f"{auth.url}/register", json=credentials(username))

        def log_in(username: str) -> Send:
            return partial(client.post, f"{auth.url}/login", json=credentials(username))

        before = [f"before{i:02d}" for i in range(10)]
        created = await bounded(8, [register(name) for name in before])
        assert [a.status_code for a in created] == [201] * len(before)

        async with Load(lambda: register(next(fresh_names))(), workers=2) as load:
            with fleet.watch.outage():
                await asyncio.to_thread(server.stop)
                for answer in await bounded(4, [register("newcomer")] * 4):
                    assert_unavailable(answer)
                # More than the 5 failures that lock a name: an outage is not a wrong password.
                for _ in range(8):
                    assert_unavailable(await log_in(before[0])())
                assert_unavailable(await client.get(f"{auth.url}/readyz"))

                await asyncio.to_thread(server.start)
                await eventually(
                    partial(answers_with, log_in(before[0]), 200),
                    RECOVERY_DEADLINE,
                    "a login after PostgreSQL returned",
                )
                seen = await load.stop()
        assert set(seen) == {201, 503}, seen

        accepted = before + [
            json.loads(a.request.content)["username"] for a in load.answers if a.status_code == 201
        ]
        logged_in = await bounded(8, [log_in(n) for n in accepted])
        assert [a.status_code for a in logged_in] == [200] * len(accepted)
        assert (
            await client.post(f"{auth.url}/register", json=credentials("newcomer"))
        ).status_code == 201
        assert (await client.get(f"{auth.url}/readyz")).status_code == 200
    fleet.assert_no_server_errors()
