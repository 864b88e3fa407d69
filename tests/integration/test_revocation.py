"""Revocation across both apps in-process: what the booth revokes, the machine refuses,
without ever calling the booth about a token."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import replace

import httpx
import pytest
from asgi_lifespan import LifespanManager
from starlette.types import ASGIApp

from auth_service.app import create_app as create_auth_app
from auth_service.passwords import Passwords
from auth_service.settings import AuthSettings
from tests.conftest import ISSUER
from tests.support.waits import eventually
from vending_service.app import create_app as create_vending_app
from vending_service.catalogue import CatalogueCat
from vending_service.settings import VendingSettings

PASSWORD = "correct horse battery"


@pytest.fixture
async def booth(auth_settings: AuthSettings, fast_passwords: Passwords) -> AsyncIterator[ASGIApp]:
    """The booth, publishing its revocation list with max-age 1 (polled every second)."""
    app = create_auth_app(replace(auth_settings, revocation_max_age=1), passwords=fast_passwords)
    async with LifespanManager(app) as manager:
        yield manager.app


@pytest.fixture
async def machine(
    vending_settings: VendingSettings, booth: ASGIApp, catalogue_cats: list[CatalogueCat]
) -> AsyncIterator[httpx.AsyncClient]:
    def catalogue(count: int) -> Iterable[CatalogueCat]:
        return catalogue_cats[:count]

    app = create_vending_app(
        vending_settings, transport=httpx.ASGITransport(app=booth), catalogue=catalogue
    )
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://vending.test") as client:
            yield client


@pytest.fixture
async def auth(booth: ASGIApp) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=booth, client=("198.51.100.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as client:
        yield client


async def tokens(auth: httpx.AsyncClient, username: str) -> dict[str, str]:
    credentials = {"username": username, "password": PASSWORD}
    await auth.post("/register", json=credentials)
    response = await auth.post("/login", json=credentials)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def until_refused(machine: httpx.AsyncClient, token: str) -> httpx.Response:
    """Ask `/me` until the token is refused (the list is polled every second)."""
    answers: list[httpx.Response] = []

    async def refused() -> bool:
        answers.append(await machine.get("/me", headers={"Authorization": f"Bearer {token}"}))
        return answers[-1].status_code == 401

    await eventually(refused, 10, "the token to be refused")
    return answers[-1]


async def test_logout_makes_every_access_token_of_the_session_refused(
    auth: httpx.AsyncClient, machine: httpx.AsyncClient
) -> None:
    """After logout the session's access token is 401 invalid_token ("revoked"); another
    session of the same user still works."""
    first, second = await tokens(auth, "bruce"), await tokens(auth, "bruce")
    bearer = {"Authorization": f"Bearer {first['access_token']}"}
    assert (await machine.get("/me", headers=bearer)).status_code == 200

    logout = await auth.post("/logout", json={"refresh_token": first["refresh_token"]})
    assert logout.status_code == 204
    refused = await until_refused(machine, first["access_token"])
    assert refused.json()["error"] == "invalid_token"
    assert "revoked" in refused.headers["www-authenticate"]

    other = {"Authorization": f"Bearer {second['access_token']}"}
    assert (await machine.get("/me", headers=other)).status_code == 200


async def test_the_revocation_list_is_a_signed_jwt_with_an_etag_and_304(
    auth: httpx.AsyncClient,
) -> None:
    first = await auth.get("/.well-known/revocations.jwt")
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("application/jwt")
    assert first.headers["cache-control"] == "public, max-age=1"
    again = await auth.get(
        "/.well-known/revocations.jwt", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
