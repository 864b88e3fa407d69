"""Known devices over HTTP: an attack on a user's name cannot lock them out of the devices
they already use (OWASP device cookies); unknown devices keep the name and address rules."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.types import ASGIApp

from tests.conftest import ISSUER
from tests.integration.auth_helpers import PASSWORD, assert_problem, register

WRONG = "not the password"
VICTIM_ADDRESS = "198.51.100.7"


@asynccontextmanager
async def client_of(app: ASGIApp, address: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(address, 1))
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as client:
        yield client


async def log_in(
    client: httpx.AsyncClient, password: str = PASSWORD, device: str | None = None
) -> httpx.Response:
    body = {"username": "victim", "password": password}
    if device is not None:
        body["device_token"] = device
    return await client.post("/login", json=body)


async def test_the_victim_logs_in_from_a_known_device_during_an_attack_with_zero_refusals(
    auth_app: ASGIApp,
) -> None:
    """Once wrong passwords have locked the name `victim` and the victim's own address (a
    shared NAT), the right password from an unknown device is refused; yet while 200 more
    wrong passwords arrive from five addresses, the victim's 20 logins from a known device
    all succeed (before device tokens: every one was 429)."""
    async with client_of(auth_app, VICTIM_ADDRESS) as victim:
        await register(victim, "victim")
        first = await log_in(victim)
        assert first.status_code == 200, first.text
        device = first.json()["device_token"]

        async def attacker(address: str, times: int) -> list[int]:
            async with client_of(auth_app, address) as client:
                return [(await log_in(client, WRONG)).status_code for _ in range(times)]

        await attacker(VICTIM_ADDRESS, 50)
        assert_problem(await log_in(victim), 429)

        async def owner() -> list[int]:
            statuses = []
            for _ in range(20):
                response = await log_in(victim, device=device)
                statuses.append(response.status_code)
                if response.status_code == 200:
                    assert response.json()["device_token"]
            return statuses

        addresses = [VICTIM_ADDRESS, "203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"]
        *attacks, mine = await asyncio.gather(*(attacker(a, 40) for a in addresses), owner())

        assert mine == [200] * 20
        assert {status for attack in attacks for status in attack} == {429}
        assert_problem(await log_in(victim), 429)


async def test_a_known_device_is_throttled_by_its_own_failures(auth_app: ASGIApp) -> None:
    """Five wrong passwords from the known device lock that device (429), though the name's
    own count is untouched: an unknown device with the right password still gets in."""
    async with client_of(auth_app, VICTIM_ADDRESS) as client:
        await register(client, "victim")
        device = (await log_in(client)).json()["device_token"]
        for _ in range(5):
            assert (await log_in(client, WRONG, device)).status_code == 401
        assert_problem(await log_in(client, device=device), 429)
        assert (await log_in(client)).status_code == 200


async def test_another_users_or_an_altered_device_token_counts_as_an_unknown_device(
    auth_app: ASGIApp,
) -> None:
    """The attacker's own device token (for their own account) or an altered one does not
    lift the lock on the victim's name."""
    async with client_of(auth_app, "203.0.113.1") as attacker:
        await register(attacker, "victim")
        await register(attacker, "mallory")
        response = await attacker.post("/login", json={"username": "mallory", "password": PASSWORD})
        own = response.json()["device_token"]
        for _ in range(5):
            await log_in(attacker, WRONG)
        assert_problem(await log_in(attacker, device=own), 429)
        assert_problem(await log_in(attacker, device=own[:-3] + "AAA"), 429)


async def test_the_token_endpoint_takes_and_returns_a_device_token(auth_app: ASGIApp) -> None:
    """`/token` (grant_type=password) returns a device_token and honours one sent back."""
    async with client_of(auth_app, VICTIM_ADDRESS) as client:
        await register(client, "victim")
        form = {
            "grant_type": "password",
            "client_id": "lanyard-web",
            "username": "victim",
            "password": PASSWORD,
        }
        device = (await client.post("/token", data=form)).json()["device_token"]
        for _ in range(5):
            await log_in(client, WRONG)
        assert (await client.post("/token", data=form)).status_code == 429
        ok = await client.post("/token", data={**form, "device_token": device})
        assert ok.status_code == 200, ok.text
        assert ok.json()["device_token"]
