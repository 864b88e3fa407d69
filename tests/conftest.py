"""Fixtures shared by every tier: keys, settings, and both apps wired in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from starlette.types import ASGIApp

from auth_service.app import create_app as create_auth_app
from auth_service.passwords import Passwords
from auth_service.settings import AuthSettings
from shared.web.metrics import AuthMetrics, VendingMetrics
from tests.support.clock import FakeClock
from tests.support.keys import keys_folder
from vending_service.app import create_app as create_vending_app
from vending_service.catalogue import CatalogueCat, iter_catalogue
from vending_service.settings import VendingSettings

ISSUER = "http://auth.test"
AUDIENCE = "lanyard-vending"


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A keys folder: a key-encryption key, and one key file the booth imports on start."""
    return keys_folder(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="session")
def catalogue_cats() -> list[CatalogueCat]:
    """The catalogue, drawn once per test session."""
    return list(iter_catalogue(100, 64))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fast_passwords() -> Passwords:
    """argon2id with the smallest cost: these tests are about behaviour, not hash strength."""
    return Passwords(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture
def auth_settings(tmp_path: Path, keys_dir: Path) -> AuthSettings:
    return AuthSettings(
        issuer=ISSUER,
        audience=AUDIENCE,
        keys_dir=keys_dir,
        key_encryption_key_file=keys_dir / "kek",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/auth.db",
    )


@pytest.fixture
def vending_settings(tmp_path: Path) -> VendingSettings:
    return VendingSettings(
        public_url="http://vending.test",
        jwks_url=f"{ISSUER}/.well-known/jwks.json",
        issuer=ISSUER,
        audience=AUDIENCE,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/vending.db",
        catalogue_size=100,
    )


@pytest.fixture
def auth_metrics() -> AuthMetrics:
    """The in-process auth app's metrics (what its management port would serve)."""
    return AuthMetrics()


@pytest.fixture
def vending_metrics() -> VendingMetrics:
    """The in-process vending app's metrics (what its management port would serve)."""
    return VendingMetrics()


@pytest.fixture
async def auth_app(
    auth_settings: AuthSettings,
    fast_passwords: Passwords,
    clock: FakeClock,
    auth_metrics: AuthMetrics,
) -> AsyncIterator[ASGIApp]:
    app = create_auth_app(
        auth_settings, passwords=fast_passwords, clock=clock, metrics=auth_metrics
    )
    async with LifespanManager(app) as manager:
        yield manager.app


@pytest.fixture
async def auth_client(auth_app: ASGIApp) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=auth_app, client=("198.51.100.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as client:
        yield client


@pytest.fixture
async def vending_app(
    vending_settings: VendingSettings,
    auth_app: ASGIApp,
    catalogue_cats: list[CatalogueCat],
    clock: FakeClock,
    vending_metrics: VendingMetrics,
) -> AsyncIterator[ASGIApp]:
    """The vending service, fetching its JWKS from the in-process auth service."""

    def catalogue(count: int) -> Iterable[CatalogueCat]:
        return catalogue_cats[:count]

    app = create_vending_app(
        vending_settings,
        transport=httpx.ASGITransport(app=auth_app),
        catalogue=catalogue,
        clock=clock,
        metrics=vending_metrics,
    )
    async with LifespanManager(app) as manager:
        yield manager.app


@pytest.fixture
async def vending_client(vending_app: ASGIApp) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=vending_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://vending.test") as client:
        yield client
