"""Registration floods over HTTP: a limit per client address, and a hashing queue that is
bounded (503 + Retry-After when full) and serves logins first."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from asgi_lifespan import LifespanManager
from starlette.types import ASGIApp

from auth_service.app import create_app
from auth_service.hashing import Priority
from auth_service.passwords import Passwords, normalise
from auth_service.settings import AuthSettings
from tests.conftest import ISSUER
from tests.integration.auth_helpers import PASSWORD, assert_problem, register
from tests.support.clock import FakeClock
from tests.support.waits import eventually


@asynccontextmanager
async def client_of(app: ASGIApp, address: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(address, 1))
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as client:
        yield client


@asynccontextmanager
async def running(
    settings: AuthSettings, passwords: Passwords, clock: FakeClock
) -> AsyncIterator[ASGIApp]:
    app = create_app(settings, passwords=passwords, clock=clock)
    async with LifespanManager(app) as manager:
        yield manager.app


async def test_an_address_gets_its_hourly_registrations_then_429_with_retry_after(
    auth_settings: AuthSettings, fast_passwords: Passwords, clock: FakeClock
) -> None:
    """With REGISTER_PER_ADDRESS=3, an address's fourth registration in the hour is 429 +
    Retry-After (before: unlimited); another address is unaffected; after the hour the
    first may register again."""
    settings = dataclasses.replace(auth_settings, register_per_address=3)
    async with (
        running(settings, fast_passwords, clock) as app,
        client_of(app, "203.0.113.1") as one,
        client_of(app, "203.0.113.2") as two,
    ):
        for i in range(3):
            assert (await register(one, f"user{i}")).status_code == 201
        refused = await register(one, "user3")
        body = assert_problem(refused, 429)
        assert "registrations" in body["detail"]
        assert 0 < int(refused.headers["retry-after"]) <= 3600
        assert (await register(two, "user3")).status_code == 201
        clock.advance(3600)
        assert (await register(one, "user4")).status_code == 201


class GatedPasswords(Passwords):
    """Cheap argon2, with every hash held in its worker until `gate` opens."""

    def __init__(self) -> None:
        super().__init__(concurrency=1, queue_limit=1, time_cost=1, memory_cost=8, parallelism=1)
        self.gate = threading.Event()

    async def hash(self, password: str, *, priority: Priority = Priority.REGISTER) -> str:
        return await self.queue.run(priority, self._gated, normalise(password))

    def _gated(self, password: str) -> str:
        assert self.gate.wait(10)
        return self._hasher.hash(password)


async def test_a_full_hashing_queue_answers_503_with_retry_after_and_still_takes_a_login(
    auth_settings: AuthSettings, clock: FakeClock
) -> None:
    """One hash running and one waiting fill a queue of one: the next registration is 503
    problem+json with Retry-After at once (before: it queued behind every other hash),
    while a login still joins the queue ahead of the waiting registration and is answered."""
    passwords = GatedPasswords()
    async with running(auth_settings, passwords, clock) as app, client_of(app, "::1") as client:
        flood = [asyncio.create_task(register(client, f"flood{i}")) for i in range(2)]

        async def full() -> bool:
            return passwords.queue.running() == 1 and passwords.queue.waiting() == 1

        await eventually(full, 10, "the hashing queue full")
        refused = await register(client, "one-too-many")
        assert_problem(refused, 503)
        assert int(refused.headers["retry-after"]) >= 1
        login = asyncio.create_task(
            client.post("/login", json={"username": "nobody", "password": PASSWORD})
        )

        async def login_queued() -> bool:
            return passwords.queue.waiting(Priority.LOGIN) == 1

        await eventually(login_queued, 10, "the login queued")
        passwords.gate.set()
        assert (await login).status_code == 401
        assert [r.status_code for r in await asyncio.gather(*flood)] == [201, 201]


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("/register", {"username": "bruce", "password": 12345678}),
        ("/register", {"username": ["bruce"], "password": PASSWORD}),
        ("/login", {"username": "bruce", "password": None}),
        ("/login", {"username": "bruce", "password": PASSWORD, "device_token": {"a": 1}}),
        ("/login", {"username": True, "password": PASSWORD}),
        ("/refresh", {"refresh_token": 1.5}),
        ("/logout", {"refresh_token": []}),
    ],
)
async def test_a_member_of_the_wrong_type_is_named_in_jsons_words_not_pythons(
    auth_client: httpx.AsyncClient, route: str, body: dict[str, object]
) -> None:
    """422 details say "a string", "an array", "null"..., never `str`, `NoneType`, `dict`."""
    problem = assert_problem(await auth_client.post(route, json=body), 422)
    words = problem["detail"].replace(",", " ").split()
    assert "must" in words
    python_names = {"str", "int", "float", "bool", "dict", "list", "NoneType", "type", "<class"}
    assert not python_names & set(words), problem["detail"]
