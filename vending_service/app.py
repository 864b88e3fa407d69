"""`create_app`: the vending machine wired from its settings, real collaborators by default."""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware

from shared.stores.db import create_engine, create_redis
from shared.stores.migrations import migrate
from shared.stores.port import Statements
from shared.stores.sqlite_worker import SQLiteWorker, sqlite_file
from shared.stores.statements import EngineStatements, WorkerStatements
from shared.tokens.claims import ClaimsPolicy
from shared.tokens.jwks import CachePolicy, JWKSCache
from shared.tokens.revocation_cache import RevocationCache, RevocationPolicy
from shared.tokens.verifier import TokenVerifier
from shared.web.edge import edge_middleware
from shared.web.metrics import VendingMetrics
from shared.web.problems import exception_handlers
from vending_service.bearer import Authenticate, BearerAuthentication, verify_bearer
from vending_service.catalogue import CATALOGUE_OWNER, CatalogueCat, iter_catalogue
from vending_service.machine import Machine
from vending_service.pictures import Picture, PictureCache, PictureStore
from vending_service.pictures.links import ImageLinks
from vending_service.pictures.sql import SQLPictureStore
from vending_service.quotas import QuotaStore
from vending_service.quotas.redis import RedisQuotaStore
from vending_service.quotas.sql import SQLQuotaStore
from vending_service.routes import routes
from vending_service.settings import VendingSettings
from vending_service.state import STATE_KEY, VendingState
from vending_service.views import PROBLEMS, PictureRecords

__all__ = ["MIGRATIONS", "create_app"]

log = logging.getLogger("lanyard.vending")
Catalogue = Callable[[int], Iterable[CatalogueCat]]
MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_vending"
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


async def _stock(store: PictureStore, catalogue: Catalogue, size: int) -> None:
    """Draw the catalogue into `store` unless it is there already (replicas may race)."""
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


def _image_links(settings: VendingSettings) -> ImageLinks:
    """The signer of image URLs: the shared secret, or one made for this process alone."""
    secret = settings.image_url_secret
    if secret is None:
        log.warning(
            "IMAGE_URL_SECRET_FILE is not set: image URLs are signed with a secret of this "
            "process only (fine for one replica; replicas must share a secret file)"
        )
        secret = secrets.token_bytes(32)
    return ImageLinks(secret, ttl=settings.image_url_ttl)


async def _stores(
    settings: VendingSettings,
    stack: contextlib.AsyncExitStack,
    pictures: PictureStore | None,
    quotas: QuotaStore | None,
    clock: Callable[[], float],
) -> tuple[PictureStore, QuotaStore]:
    """The stores the settings describe, for whichever of the two were not given."""
    if pictures is None or (quotas is None and not settings.redis_url):
        engine = create_engine(settings.database_url)
        stack.push_async_callback(engine.dispose)
        await migrate(engine, MIGRATIONS, VERSION_TABLE)
        # A SQLite file gets a worker thread for the statements run per request.
        path = sqlite_file(settings.database_url)
        statements: Statements = EngineStatements(engine)
        if path is not None:
            worker = SQLiteWorker(path)
            stack.push_async_callback(worker.aclose)
            statements = WorkerStatements(worker)
        if pictures is None:
            pictures = PictureCache(SQLPictureStore(engine, hot=statements))
        if quotas is None and not settings.redis_url:
            sql_quotas = SQLQuotaStore(statements)
            await sql_quotas.prune(clock())
            quotas = sql_quotas
    if quotas is None:
        assert settings.redis_url is not None
        redis = create_redis(settings.redis_url)
        stack.push_async_callback(redis.aclose)
        quotas = RedisQuotaStore(redis)
    return pictures, quotas


def create_app(
    settings: VendingSettings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    pictures: PictureStore | None = None,
    quotas: QuotaStore | None = None,
    catalogue: Catalogue = iter_catalogue,
    clock: Callable[[], float] = time.time,
    authenticate: Authenticate = verify_bearer,
    metrics: VendingMetrics | None = None,
) -> Starlette:
    """The vending service. `transport` carries its JWKS fetches (tests pass a fake);
    `authenticate` says who calls (by default: the bearer token, verified here); `metrics`
    is what the management port serves (`serve` passes its own)."""
    settings = settings or VendingSettings.from_env()
    metrics = metrics or VendingMetrics()
    links = _image_links(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[Mapping[str, VendingState]]:
        async with contextlib.AsyncExitStack() as stack:
            picture_store, quota_store = await _stores(settings, stack, pictures, quotas, clock)
            await _stock(picture_store, catalogue, settings.catalogue_size)
            client = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=transport,
                    headers={"User-Agent": "lanyard-vending"},
                    follow_redirects=False,
                    trust_env=False,
                )
            )
            jwks = JWKSCache(
                settings.jwks_url,
                client=client,
                policy=CachePolicy(
                    miss_cooldown=settings.jwks_cooldown,
                    timeout=settings.jwks_timeout,
                    min_ttl=settings.jwks_min_ttl,
                ),
                clock=clock,
                on_fetch=metrics.jwks_fetches,
            )
            metrics.jwks_keys.watch(lambda: len(jwks.keys))
            stack.push_async_callback(jwks.aclose)
            revocations = RevocationCache(
                settings.revocation_url,
                client=client,
                keys=jwks,
                issuer=settings.issuer,
                policy=RevocationPolicy(
                    timeout=settings.revocation_timeout,
                    max_bytes=settings.revocation_max_bytes,
                ),
                clock=clock,
                on_fetch=metrics.revocation_fetches,
            )
            stack.push_async_callback(revocations.aclose)
            metrics.revocation_list_age.watch(revocations.age)
            verifier = TokenVerifier(
                jwks,
                ClaimsPolicy(
                    issuer=settings.issuer,
                    audience=settings.audience,
                    leeway=settings.leeway,
                    max_lifetime=settings.max_token_lifetime,
                ),
                cache_size=settings.token_cache_size,
                clock=clock,
                revocations=revocations,
            )
            await jwks.start()
            await revocations.start()
            machine = Machine(
                settings,
                pictures=picture_store,
                quotas=quota_store,
                clock=clock,
                on_quota=metrics.quota_decisions,
            )
            state = VendingState(
                machine=machine,
                jwks=jwks,
                revocations=revocations,
                verifier=verifier,
                metrics=metrics,
                records=PictureRecords(settings.public_url, links),
                links=links,
            )
            yield {STATE_KEY: state}

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers=exception_handlers(PROBLEMS),
        middleware=[
            edge_middleware(
                settings,
                metrics,
                methods=("GET", "POST", "PUT", "DELETE"),
                expose_headers=EXPOSED_HEADERS,
            ),
            Middleware(BearerAuthentication, problems=PROBLEMS, authenticate=authenticate),
        ],
    )
    # Starlette answers `/cats/` with a redirect to `/cats` built from the Host header: that
    # is an unknown Host reaching a response (issue 15, weakness 5). Such paths are 404s.
    app.router.redirect_slashes = False
    return app
