"""Integration fixtures: the vending service against a JWKS fake and a token minter."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from starlette.types import ASGIApp

from shared.web.metrics import VendingMetrics
from tests.conftest import AUDIENCE, ISSUER
from tests.support.clock import FakeClock
from tests.support.jwks import JWKSFake
from tests.support.tokens import TokenMinter
from vending_service.app import create_app
from vending_service.catalogue import CatalogueCat
from vending_service.settings import VendingSettings

TokenFor = Callable[..., str]


@pytest.fixture
def minter(clock: FakeClock) -> TokenMinter:
    return TokenMinter(issuer=ISSUER, audience=AUDIENCE, clock=clock)


@pytest.fixture
def jwks_fake(minter: TokenMinter) -> JWKSFake:
    return JWKSFake(minter.jwk, signer=minter)


@pytest.fixture
async def minted_vending_app(
    vending_settings: VendingSettings,
    jwks_fake: JWKSFake,
    catalogue_cats: list[CatalogueCat],
    clock: FakeClock,
    vending_metrics: VendingMetrics,
) -> AsyncIterator[ASGIApp]:
    """The vending service whose JWKS is the minter's key, served by a fake."""

    def catalogue(count: int) -> Iterable[CatalogueCat]:
        return catalogue_cats[:count]

    app = create_app(
        vending_settings,
        transport=jwks_fake.transport(),
        catalogue=catalogue,
        clock=clock,
        metrics=vending_metrics,
    )
    async with LifespanManager(app) as manager:
        yield manager.app


@pytest.fixture
async def vending(minted_vending_app: ASGIApp) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the minted vending app."""
    transport = httpx.ASGITransport(app=minted_vending_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://vending.test") as client:
        yield client


@pytest.fixture
def bearer(minter: TokenMinter) -> Callable[..., dict[str, str]]:
    """Authorization headers for a freshly minted token for `sub`."""

    def make(sub: str = "alice", **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {minter.mint(sub, **claims)}"}

    return make


@pytest.fixture
def login(auth_client: httpx.AsyncClient) -> Callable[[str], Awaitable[str]]:
    """Register and log in `username` at the in-process auth service; return the access token."""

    async def run(username: str) -> str:
        credentials = {"username": username, "password": "correct horse battery"}
        await auth_client.post("/register", json=credentials)
        response = await auth_client.post("/login", json=credentials)
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    return run
