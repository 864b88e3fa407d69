"""The benchmark's own apps: the ceiling serves without a token, the service never does."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette

from bench.apps import ceiling_app, documents
from bench.bare_app import create_bare_app
from bench.suite import AUDIENCE, ISSUER, SMOKE, write_run_files
from tests.support.jwks import JWKSFake
from tests.support.waits import eventually
from vending_service.app import create_app
from vending_service.settings import VendingSettings

# Every variable the benchmark sets for its servers, and a few a hopeful reader might try.
BENCH_ENVIRONMENT = {
    "ISSUER": "http://bench.lanyard.test",
    "JWKS_URL": "http://bench.lanyard.test/.well-known/jwks.json",
    "QUOTA_FREE": "1000000000",
    "BENCH_CEILING": "1",
    "BENCH_NO_AUTH": "1",
    "CEILING": "true",
}


# The vending app's startup migrates its database and draws its catalogue: seconds on a
# busy machine, beyond LifespanManager's default 5 s.
STARTUP_DEADLINE = 60


async def client_of(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with LifespanManager(app, startup_timeout=STARTUP_DEADLINE) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://vending.test") as client:
            yield client


@pytest.fixture
async def ceiling(
    vending_settings: VendingSettings, jwks_fake: JWKSFake
) -> AsyncIterator[httpx.AsyncClient]:
    async for client in client_of(ceiling_app(vending_settings, transport=jwks_fake.transport())):
        yield client


async def test_the_ceiling_serves_the_same_json_without_a_token_or_a_charge(
    ceiling: httpx.AsyncClient,
) -> None:
    """The ceiling answers /cats with no token, ten distinct cats, and charges nothing."""
    for _ in range(3):
        response = await ceiling.get("/cats", params={"count": 10})
        assert response.status_code == 200, response.text
        body = response.json()
        assert len({cat["id"] for cat in body["cats"]}) == 10
        assert body["quota"]["used"] == 0
        assert response.headers["ratelimit-policy"].startswith('"daily"')


async def test_the_bare_route_answers_the_shape_of_a_one_cat_gallery_without_a_token(
    ceiling: httpx.AsyncClient,
) -> None:
    """The bare route's constant JSON has the members of the service's `GET /cats?count=1`
    (one record, the quota object), asks for no token, and never changes."""
    service = (await ceiling.get("/cats", params={"count": 1})).json()
    async for bare in client_of(create_bare_app("http://vending.test")):
        first = await bare.get("/cats", params={"count": 1})
        again = await bare.get("/cats", params={"count": 1})
        assert first.status_code == 200
        assert first.headers["content-type"] == "application/json"
        body = first.json()
        assert set(body) == set(service)
        assert len(body["cats"]) == len(service["cats"]) == 1
        assert set(body["cats"][0]) == set(service["cats"][0])
        assert {k: type(v) for k, v in body["cats"][0].items()} == {
            k: type(v) for k, v in service["cats"][0].items()
        }
        assert set(body["quota"]) == set(service["quota"])
        assert again.content == first.content


async def test_the_service_built_from_the_bench_environment_still_wants_a_token(
    jwks_fake: JWKSFake, bearer: Callable[..., dict[str, str]], tmp_path: Path
) -> None:
    """What `python -m vending_service serve` builds, with the benchmark's variables and
    any a reader might guess, is the real service: no token, no cats."""
    env = {**BENCH_ENVIRONMENT, "DATA_DIR": str(tmp_path), "ISSUER": "http://auth.test"}
    settings = VendingSettings.from_env(env)
    app = create_app(settings, transport=jwks_fake.transport())
    async for client in client_of(app):
        refused = await client.get("/cats", params={"count": 10})
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")

        async def ready(client: httpx.AsyncClient = client) -> bool:
            return (await client.get("/readyz")).status_code == 200

        await eventually(ready, 10, "the first JWKS and revocation fetches")  # in the background
        charged = await client.get("/cats", params={"count": 10}, headers=bearer())
        assert charged.status_code == 200
        assert charged.json()["quota"]["used"] == 10


@pytest.fixture
def bench_documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Starlette:
    """The documents a benchmark run writes, served by the app the run serves them with."""
    write_run_files(SMOKE, tmp_path)
    monkeypatch.setenv("BENCH_DOCUMENTS", str(tmp_path))
    return documents()


async def test_the_bench_documents_are_cacheable_and_revalidated_as_the_booth_serves_them(
    bench_documents: Starlette,
) -> None:
    transport = httpx.ASGITransport(app=bench_documents)
    async with httpx.AsyncClient(transport=transport, base_url="http://jwks.test") as client:
        for name, max_age in (("jwks.json", 300), ("revocations.jwt", 5)):
            first = await client.get(f"/.well-known/{name}")
            assert first.status_code == 200
            assert first.headers["cache-control"] == f"public, max-age={max_age}"
            again = await client.get(
                f"/.well-known/{name}", headers={"If-None-Match": first.headers["etag"]}
            )
            assert again.status_code == 304
            assert again.content == b""


async def test_a_vending_service_fed_the_bench_documents_becomes_ready(
    bench_documents: Starlette, tmp_path: Path
) -> None:
    """The run's vending services wait for /readyz: they must get a key set and a signed
    revocation list from what the run serves (without the list they never get ready)."""
    env = {
        "ISSUER": ISSUER,
        "AUDIENCE": AUDIENCE,
        "JWKS_URL": "http://jwks.test/.well-known/jwks.json",
        "REVOCATION_URL": "http://jwks.test/.well-known/revocations.jwt",
        "DATA_DIR": str(tmp_path / "data"),
    }
    app = create_app(
        VendingSettings.from_env(env), transport=httpx.ASGITransport(app=bench_documents)
    )
    async for client in client_of(app):

        async def ready(client: httpx.AsyncClient = client) -> bool:
            return (await client.get("/readyz")).status_code == 200

        await eventually(ready, 10, "the bench's key set and revocation list")
