"""Login throttling over HTTP: 5 failures per username, 50 per address, in 15 minutes."""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette
from starlette.types import ASGIApp

from auth_service.app import create_app
from auth_service.passwords import Passwords
from auth_service.settings import AuthSettings
from tests.conftest import ISSUER
from tests.integration.auth_helpers import PASSWORD, assert_problem, login, register
from tests.support.clock import FakeClock

WRONG = "not the password"
LOCKOUT = 900


@asynccontextmanager
async def client_of(app: ASGIApp, address: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(address, 1))
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as client:
        yield client


@pytest.fixture
async def other_client(auth_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the same app from another address, 203.0.113.9."""
    async with client_of(auth_app, "203.0.113.9") as client:
        yield client


@pytest.fixture
async def behind_proxy(
    auth_settings: AuthSettings, fast_passwords: Passwords, clock: FakeClock
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app that trusts 198.51.100.0/24, the client's own network, as proxies."""
    settings = dataclasses.replace(
        auth_settings, trusted_proxies=(ipaddress.ip_network("198.51.100.0/24"),)
    )
    app = create_app(settings, passwords=fast_passwords, clock=clock)
    async with LifespanManager(app) as manager, client_of(manager.app, "198.51.100.7") as client:
        yield client


def retry_after(response: httpx.Response) -> int:
    """The `Retry-After` header as delay-seconds: an integer, greater than zero."""
    value = response.headers["retry-after"]
    assert value.isdigit(), value
    assert int(value) > 0
    return int(value)


async def fail(
    client: httpx.AsyncClient, username: str, times: int, headers: dict[str, str] | None = None
) -> None:
    """Log in `times` times with a wrong password; each one must be an ordinary 401."""
    credentials = {"username": username, "password": WRONG}
    for _ in range(times):
        r = await client.post("/login", json=credentials, headers=headers)
        assert r.status_code == 401, r.text


async def test_five_failures_are_each_answered_401(auth_client: httpx.AsyncClient) -> None:
    """The first five wrong passwords for a username are plain 401s, not yet 429."""
    await register(auth_client)
    await fail(auth_client, "bruce", 5)


async def test_sixth_attempt_after_five_failures_is_429_even_with_the_right_password(
    auth_client: httpx.AsyncClient,
) -> None:
    """Five failures lock the username: the right password then gets 429 + Retry-After."""
    await register(auth_client)
    await fail(auth_client, "bruce", 5)
    r = await login(auth_client)
    body = assert_problem(r, 429)
    assert retry_after(r) == LOCKOUT
    assert "access_token" not in body


async def test_lock_applies_to_every_spelling_of_the_username(
    auth_client: httpx.AsyncClient,
) -> None:
    """Failures are counted per canonical username, so a new spelling does not escape them."""
    await register(auth_client)
    for spelling in ("bruce", "Bruce", "BRUCE", "ＢＲＵＣＥ", "bRuCe"):
        await fail(auth_client, spelling, 1)
    assert_problem(await login(auth_client, "Bruce"), 429)


async def test_unknown_username_is_throttled_with_the_same_response_shape(
    auth_client: httpx.AsyncClient,
) -> None:
    """A name that does not exist is locked after five failures, answered like a real one
    (byte for byte, given the same request id)."""
    await register(auth_client)
    await fail(auth_client, "bruce", 5)
    await fail(auth_client, "nobody", 5)
    same_id = {"X-Request-ID": "one-id"}
    real = await login(auth_client, "bruce", headers=same_id)
    ghost = await login(auth_client, "nobody", headers=same_id)
    assert_problem(real, 429)
    assert_problem(ghost, 429)
    assert real.content == ghost.content
    assert real.headers["retry-after"] == ghost.headers["retry-after"]


async def test_retry_after_counts_down_with_the_clock(
    auth_client: httpx.AsyncClient, clock: FakeClock
) -> None:
    """`Retry-After` is the time left in the lockout, in whole seconds."""
    await register(auth_client)
    await fail(auth_client, "bruce", 5)
    clock.advance(600)
    assert retry_after(await login(auth_client)) == LOCKOUT - 600
    clock.advance(299.5)
    assert retry_after(await login(auth_client)) == 1


async def test_login_works_again_once_the_lockout_has_passed(
    auth_client: httpx.AsyncClient, clock: FakeClock
) -> None:
    """After 15 minutes the username is unlocked and the right password logs in."""
    await register(auth_client)
    await fail(auth_client, "bruce", 5)
    assert_problem(await login(auth_client), 429)
    clock.advance(LOCKOUT + 1)
    r = await login(auth_client)
    assert r.status_code == 200, r.text


async def test_failures_outside_the_window_do_not_add_up(
    auth_client: httpx.AsyncClient, clock: FakeClock
) -> None:
    """Four failures, then fifteen quiet minutes, then four more: still no lock."""
    await register(auth_client)
    await fail(auth_client, "bruce", 4)
    clock.advance(901)
    await fail(auth_client, "bruce", 4)
    assert (await login(auth_client)).status_code == 200


async def test_successful_logins_do_not_count_as_failures(auth_client: httpx.AsyncClient) -> None:
    """Many successful logins in a row never throttle, and a success resets the user's count."""
    await register(auth_client)
    for _ in range(8):
        assert (await login(auth_client)).status_code == 200
    await fail(auth_client, "bruce", 4)
    assert (await login(auth_client)).status_code == 200
    await fail(auth_client, "bruce", 4)
    assert (await login(auth_client)).status_code == 200


async def test_successful_logins_do_not_count_against_the_address(
    auth_client: httpx.AsyncClient,
) -> None:
    """49 failures and then several successes from one address leave it unthrottled."""
    await register(auth_client)
    for i in range(49):
        await fail(auth_client, f"ghost{i}", 1)
    for _ in range(3):
        assert (await login(auth_client)).status_code == 200


async def test_fifty_failures_from_one_address_throttle_it_for_a_valid_user(
    auth_client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    """50 failures across usernames lock the address; another address still logs in."""
    await register(auth_client)
    for i in range(50):
        await fail(auth_client, f"ghost{i}", 1)
    r = await login(auth_client)
    assert_problem(r, 429)
    assert retry_after(r) == LOCKOUT
    assert (await login(other_client)).status_code == 200


async def test_address_lock_ends_after_the_lockout(
    auth_client: httpx.AsyncClient, clock: FakeClock
) -> None:
    """A locked address may log in again once 15 minutes have passed."""
    await register(auth_client)
    for i in range(50):
        await fail(auth_client, f"ghost{i}", 1)
    assert_problem(await login(auth_client), 429)
    clock.advance(LOCKOUT + 1)
    assert (await login(auth_client)).status_code == 200


async def test_concurrent_failures_cannot_exceed_the_username_limit(
    auth_client: httpx.AsyncClient,
) -> None:
    """Twenty wrong passwords sent at once still get at most five password checks (401s)."""
    await register(auth_client)
    attempts = [
        auth_client.post("/login", json={"username": "bruce", "password": f"{WRONG} {i}"})
        for i in range(20)
    ]
    statuses = sorted(r.status_code for r in await asyncio.gather(*attempts))
    assert statuses == [401] * 5 + [429] * 15
    assert_problem(await login(auth_client), 429)


async def test_x_forwarded_for_is_ignored_from_an_untrusted_peer(
    auth_client: httpx.AsyncClient,
) -> None:
    """Without trusted proxies, a forged X-Forwarded-For cannot spread failures over addresses."""
    await register(auth_client)
    for i in range(50):
        await fail(auth_client, f"ghost{i}", 1, {"X-Forwarded-For": f"192.0.2.{i}"})
    r = await auth_client.post(
        "/login",
        json={"username": "bruce", "password": PASSWORD},
        headers={"X-Forwarded-For": "192.0.2.200"},
    )
    assert_problem(r, 429)


async def test_x_forwarded_for_is_honoured_from_a_trusted_proxy(
    behind_proxy: httpx.AsyncClient,
) -> None:
    """Behind a trusted proxy the forwarded address is throttled, not the proxy's own."""
    await register(behind_proxy)
    attacker = {"X-Forwarded-For": "192.0.2.1"}
    for i in range(50):
        await fail(behind_proxy, f"ghost{i}", 1, attacker)
    good = {"username": "bruce", "password": PASSWORD}
    assert_problem(await behind_proxy.post("/login", json=good, headers=attacker), 429)
    # The client-supplied part of the chain is ignored: the last untrusted hop counts.
    spoofed = {"X-Forwarded-For": "203.0.113.50, 192.0.2.1"}
    assert_problem(await behind_proxy.post("/login", json=good, headers=spoofed), 429)
    innocent = {"X-Forwarded-For": "192.0.2.2"}
    assert (await behind_proxy.post("/login", json=good, headers=innocent)).status_code == 200
    assert (await behind_proxy.post("/login", json=good)).status_code == 200
