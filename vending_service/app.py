"""`create_app`: the vending machine wired from its settings, real collaborators by default."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from shared.db import create_engine, create_redis
from shared.errors import problem_handlers, problem_response
from shared.http import edge_middleware
from shared.jwks import CachePolicy, JWKSCache
from shared.metrics import HTTPMetrics
from shared.migrations import migrate
from shared.tokens import TokenVerifier
from vending_service.auth import BearerAuthentication, BearerError, bearer_error
from vending_service.catalogue import CATALOGUE_OWNER, CatalogueCat, iter_catalogue
from vending_service.machine import Machine
from vending_service.picture_cache import PictureCache
from vending_service.pictures import Picture, PictureStore, SQLPictureStore
from vending_service.quota import QuotaExceeded, QuotaStore, SQLQuotaStore
from vending_service.redis_quota import RedisQuotaStore
from vending_service.routes import routes
from vending_service.settings import VendingSettings
from vending_service.sqlite_quota import SQLiteQuotaStore
from vending_service.sqlite_worker import SQLiteWorker, sqlite_file

__all__ = ["create_app"]

Catalogue = Callable[[int], Iterable[CatalogueCat]]
MIGRATIONS = Path(__file__).parent / "migrations"
# Headers a browser app may read from the machine's answers.
EXPOSED_HEADERS = (
    "Retry-After",
    "RateLimit",
    "RateLimit-Policy",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "WWW-Authenticate",
    "Location",
)


def _quota_exceeded(clock: Callable[[], float]) -> Callable[[Request, Exception], Any]:
    async def handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, QuotaExceeded)
        quota, now = exc.quota, clock()
        headers = {"Retry-After": str(quota.seconds_to_reset(now)), **quota.headers(now)}
        return problem_response(
            429,
            "Too Many Requests",
            f"the daily quota allows {quota.remaining} more picture(s) until "
            f"{quota.as_dict()['resets_at']}; this request asked for {exc.requested}",
            headers=headers,
            requested=exc.requested,
            **quota.as_dict(),
        )

    return handler


async def _bearer_error(request: Request, exc: Exception) -> Response:
    return bearer_error(exc)


async def _seed_catalogue(store: PictureStore, catalogue: Catalogue, size: int) -> None:
    if await store.catalogue_size(CATALOGUE_OWNER) >= size:
        return

    def draw() -> list[tuple[Picture, bytes]]:
        created = time.time()
        return [
            (
                Picture(
                    id=cat.id,
                    title=cat.title,
                    owner=CATALOGUE_OWNER,
                    visibility="public",
                    content_type="image/png",
                    width=cat.width,
                    height=cat.height,
                    created_at=created,
                ),
                cat.image,
            )
            for cat in catalogue(size)
        ]

    await store.add_catalogue(await anyio.to_thread.run_sync(draw))


def create_app(
    settings: VendingSettings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    pictures: PictureStore | None = None,
    quotas: QuotaStore | None = None,
    catalogue: Catalogue = iter_catalogue,
    clock: Callable[[], float] = time.time,
) -> Starlette:
    """The vending service. `transport` carries its JWKS fetches (tests pass a fake)."""
    settings = settings or VendingSettings.from_env()
    metrics = HTTPMetrics("vending")
    policy = CachePolicy(
        miss_cooldown=settings.jwks_cooldown,
        timeout=settings.jwks_timeout,
        min_ttl=settings.jwks_min_ttl,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        async with contextlib.AsyncExitStack() as stack:
            picture_store, quota_store = pictures, quotas
            if picture_store is None or (quota_store is None and not settings.redis_url):
                engine = create_engine(settings.database_url)
                stack.push_async_callback(engine.dispose)
                await migrate(engine, MIGRATIONS, "alembic_version_vending")
                # A SQLite file gets a worker thread for the statements run per request.
                path = sqlite_file(settings.database_url)
                worker = SQLiteWorker(path) if path is not None else None
                if worker is not None:
                    worker.start()
                    stack.push_async_callback(worker.aclose)
                if picture_store is None:
                    picture_store = PictureCache(SQLPictureStore(engine, worker=worker))
                if quota_store is None and not settings.redis_url:
                    sql_quotas: SQLQuotaStore | SQLiteQuotaStore = (
                        SQLQuotaStore(engine) if worker is None else SQLiteQuotaStore(worker)
                    )
                    await sql_quotas.prune(clock())
                    quota_store = sql_quotas
            if quota_store is None:
                assert settings.redis_url is not None
                redis = create_redis(settings.redis_url)
                stack.push_async_callback(redis.aclose)
                quota_store = RedisQuotaStore(redis)
            await _seed_catalogue(picture_store, catalogue, settings.catalogue_size)
            client = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=transport,
                    headers={"User-Agent": "lanyard-vending"},
                    follow_redirects=False,
                    trust_env=False,
                )
            )
            jwks = JWKSCache(settings.jwks_url, client=client, policy=policy, clock=clock)
            stack.push_async_callback(jwks.aclose)
            verifier = TokenVerifier(
                jwks,
                issuer=settings.issuer,
                audience=settings.audience,
                leeway=settings.leeway,
                max_lifetime=settings.max_token_lifetime,
                cache_size=settings.token_cache_size,
                clock=clock,
            )
            await jwks.start()
            machine = Machine(settings, pictures=picture_store, quotas=quota_store, clock=clock)
            yield {"machine": machine, "jwks": jwks, "verifier": verifier, "metrics": metrics}

    handlers = problem_handlers()
    handlers[QuotaExceeded] = _quota_exceeded(clock)
    handlers[BearerError] = _bearer_error
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers=handlers,
        middleware=[
            *edge_middleware(
                metrics,
                origins=settings.cors_origins,
                methods=("GET", "POST", "PUT", "DELETE"),
                expose_headers=EXPOSED_HEADERS,
                served_by=settings.served_by,
            ),
            Middleware(BearerAuthentication),
        ],
    )
