"""Two replicas of each service on one PostgreSQL and one Redis behave as one service."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import jwt
import pytest

from tests.backends.replicas import Fleet, bearer, bounded, credentials, fleet_in
from tests.support.servers import RedisServer
from tests.support.services import login

pytestmark = pytest.mark.services

CONCURRENCY = 32


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    with fleet_in(tmp_path) as started:
        yield started


async def test_two_vending_replicas_sell_exactly_one_daily_quota(
    fleet: Fleet, postgres_url: str, redis_server: RedisServer
) -> None:
    """200 parallel requests for 5 cats over two vending replicas: 60 sold (300), 140 refused."""
    fleet.auth(postgres_url)
    replicas = [fleet.vending(postgres_url, redis_url=redis_server.url) for _ in range(2)]
    fleet.await_ready()
    headers = bearer(login(fleet.issuer, "felix"))

    async with fleet.watch.client() as client:
        requests = [
            partial(client.get, f"{replicas[i % 2].url}/cats", params={"count": 5}, headers=headers)
            for i in range(200)
        ]
        answers = await bounded(CONCURRENCY, requests)
        assert Counter(a.status_code for a in answers) == {200: 60, 429: 140}
        assert sum(len(a.json()["cats"]) for a in answers if a.status_code == 200) == 300
        assert all(int(a.headers["retry-after"]) > 0 for a in answers if a.status_code == 429)
        for replica in replicas:
            me = await client.get(f"{replica.url}/me", headers=headers)
            assert me.status_code == 200
            assert me.json()["quota"]["used"] == 300
    fleet.assert_no_server_errors()


async def test_registrations_through_two_auth_replicas_all_succeed_and_log_in_anywhere(
    fleet: Fleet, postgres_url: str
) -> None:
    """100 parallel registrations over two replicas: all 201, each logs in through the other."""
    replicas = [fleet.auth(postgres_url) for _ in range(2)]
    fleet.await_ready()
    names = [f"user{i:03d}" for i in range(100)]

    async with fleet.watch.client() as client:
        registered = await bounded(
            CONCURRENCY,
            [
                partial(client.post, f"{replicas[i % 2].url}/register", json=credentials(name))
                for i, name in enumerate(names)
            ],
        )
        assert [a.status_code for a in registered] == [201] * 100
        logged_in = await bounded(
            CONCURRENCY,
            [
                partial(client.post, f"{replicas[(i + 1) % 2].url}/login", json=credentials(name))
                for i, name in enumerate(names)
            ],
        )
        assert [a.status_code for a in logged_in] == [200] * 100
        tokens = [a.json()["access_token"] for a in logged_in]
        assert [jwt.decode(t, options={"verify_signature": False})["sub"] for t in tokens] == names
        # Both replicas sign with the one key: a vending replica needs only one JWKS.
        assert len({jwt.get_unverified_header(t)["kid"] for t in tokens}) == 1
    fleet.assert_no_server_errors()


async def test_one_username_raced_through_two_auth_replicas_is_created_once(
    fleet: Fleet, postgres_url: str
) -> None:
    """20 parallel registrations of one name, 10 per replica: one 201, 19 409, one password."""
    replicas = [fleet.auth(postgres_url) for _ in range(2)]
    fleet.await_ready()
    passwords = [f"password number {i:02d}" for i in range(20)]

    async with fleet.watch.client() as client:
        answers = await bounded(
            CONCURRENCY,
            [
                partial(
                    client.post,
                    f"{replicas[i % 2].url}/register",
                    json=credentials("Tabitha", password),
                )
                for i, password in enumerate(passwords)
            ],
        )
        statuses = [a.status_code for a in answers]
        assert Counter(statuses) == {201: 1, 409: 19}
        winner = passwords[statuses.index(201)]
        loser = next(p for p in passwords if p != winner)
        for replica in replicas:
            logged_in = await client.post(
                f"{replica.url}/login", json=credentials("tabitha", winner)
            )
            assert logged_in.status_code == 200
        refused = await client.post(f"{replicas[0].url}/login", json=credentials("tabitha", loser))
        assert refused.status_code == 401
    fleet.assert_no_server_errors()


async def test_failures_through_two_auth_replicas_add_up_to_one_lockout(
    fleet: Fleet, postgres_url: str, redis_server: RedisServer
) -> None:
    """3 failed logins through A and 2 through B lock the name on both, right password or not."""
    a, b = (fleet.auth(postgres_url, redis_url=redis_server.url) for _ in range(2))
    fleet.await_ready()

    async with fleet.watch.client() as client:
        created = await client.post(f"{a.url}/register", json=credentials("mallory"))
        assert created.status_code == 201
        for replica in (a, a, a, b, b):
            failed = await client.post(
                f"{replica.url}/login", json=credentials("mallory", "not the password")
            )
            assert failed.status_code == 401
        for replica in (a, b):
            throttled = await client.post(f"{replica.url}/login", json=credentials("mallory"))
            assert throttled.status_code == 429
            assert throttled.headers["content-type"].startswith("application/problem+json")
            assert int(throttled.headers["retry-after"]) > 0
    fleet.assert_no_server_errors()
