"""Store outages seen through the HTTP edge: 503 with Retry-After, and nobody locked out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from auth_service.accounts import User
from auth_service.accounts.sql import SQLAccountStore
from auth_service.app import create_app
from auth_service.passwords import Passwords
from auth_service.settings import AuthSettings
from shared.errors import StoreUnavailable
from shared.stores.db import create_engine
from tests.support.clock import FakeClock

CREDENTIALS = {"username": "dana", "password": "correct horse battery"}


class FlakyStore(SQLAccountStore):
    """The SQLite store, with a switch that makes user look-ups fail as if the server left."""

    down = False

    async def get_user(self, username: str) -> User | None:
        if self.down:
            raise StoreUnavailable("user store")
        return await super().get_user(username)

    async def ready(self) -> bool:
        return not self.down and await super().ready()


@pytest.fixture
async def flaky(tmp_path: Path) -> AsyncIterator[FlakyStore]:
    store = FlakyStore(create_engine(f"sqlite+aiosqlite:///{tmp_path}/flaky.db"))
    await store.migrate()
    yield store
    await store.close()


@pytest.fixture
async def client(
    auth_settings: AuthSettings, flaky: FlakyStore, fast_passwords: Passwords, clock: FakeClock
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(auth_settings, store=flaky, passwords=fast_passwords, clock=clock)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://auth.test") as c:
            yield c


async def test_login_during_an_outage_is_503_and_locks_nobody_out(
    client: httpx.AsyncClient, flaky: FlakyStore
) -> None:
    """Ten logins while the store is away get 503; afterwards the right password works."""
    assert (await client.post("/register", json=CREDENTIALS)).status_code == 201
    flaky.down = True
    for _ in range(10):
        response = await client.post("/login", json=CREDENTIALS)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        assert response.headers["content-type"] == "application/problem+json"
    assert (await client.get("/readyz")).status_code == 503
    flaky.down = False
    assert (await client.post("/login", json=CREDENTIALS)).status_code == 200
    assert (await client.get("/readyz")).status_code == 200


async def test_a_token_request_during_an_outage_is_503_temporarily_unavailable(
    client: httpx.AsyncClient, flaky: FlakyStore
) -> None:
    """RFC 6749 at /token: the store away is `temporarily_unavailable`, 503 with Retry-After
    (never a 5xx of another kind); the same request works once it is back."""
    assert (await client.post("/register", json=CREDENTIALS)).status_code == 201
    grant = {"grant_type": "password", "client_id": "lanyard-web", **CREDENTIALS}
    flaky.down = True
    response = await client.post("/token", data=grant)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["error"] == "temporarily_unavailable"
    assert response.json()["error_description"]
    flaky.down = False
    assert (await client.post("/token", data=grant)).status_code == 200
