"""`create_app`: the booth wired from its settings, with real collaborators by default."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio
from starlette.applications import Starlette

from auth_service.accounts import AccountStore
from auth_service.accounts.sql import SQLAccountStore
from auth_service.booth import Booth
from auth_service.clients import ClientRegistry
from auth_service.devices import DEVICE_KEY_PURPOSE, DeviceTokens
from auth_service.keys import KeyEncryptionKey, KeyKeeper, KeyRing, KeyStore
from auth_service.keys.files import legacy_keys
from auth_service.keys.sql import SQLKeyStore
from auth_service.passwords import Passwords
from auth_service.revocations import RevocationPublisher, RevocationStore, Revoker
from auth_service.revocations.sql import SQLRevocationStore
from auth_service.routes import routes
from auth_service.settings import AuthSettings
from auth_service.state import STATE_KEY, AuthState
from auth_service.throttle import LoginThrottle, MemoryThrottleStore, ThrottleStore
from auth_service.throttle.redis import RedisThrottleStore
from auth_service.views import PROBLEMS
from shared.errors import Unavailable
from shared.stores.db import create_engine, create_redis
from shared.web.edge import edge_middleware
from shared.web.metrics import AuthMetrics
from shared.web.problems import exception_handlers

__all__ = ["create_app"]

log = logging.getLogger("lanyard.auth")
PRUNE_EVERY = 300.0


@dataclass(frozen=True, slots=True)
class _Stores:
    accounts: AccountStore
    keys: KeyStore
    revocations: RevocationStore
    throttle: ThrottleStore


async def _stores(
    settings: AuthSettings,
    stack: contextlib.AsyncExitStack,
    accounts: AccountStore | None,
    keys: KeyStore | None,
    revocations: RevocationStore | None,
    throttle: ThrottleStore | None,
) -> _Stores:
    """The stores `create_app` was not given, as the settings describe them: the SQL ones
    on one engine (migrated), throttling in Redis when `REDIS_URL` is set."""
    if accounts is None or keys is None or revocations is None:
        sql = SQLAccountStore(create_engine(settings.database_url))
        stack.push_async_callback(sql.close)
        await sql.migrate()
        accounts = sql if accounts is None else accounts
        keys = SQLKeyStore(sql.engine) if keys is None else keys
        revocations = SQLRevocationStore(sql.engine) if revocations is None else revocations
    if throttle is None and settings.redis_url:
        redis = create_redis(settings.redis_url)
        stack.push_async_callback(redis.aclose)
        throttle = RedisThrottleStore(redis)
    return _Stores(accounts, keys, revocations, throttle or MemoryThrottleStore())


async def _every(seconds: float, work: Callable[[], Awaitable[None]], what: str) -> None:
    """Run `work` every `seconds`; a store away is logged, and the next turn tries again."""
    while True:
        await anyio.sleep(seconds)
        try:
            await work()
        except Unavailable as exc:
            log.warning("%s: %s", what, exc.detail)


def create_app(
    settings: AuthSettings | None = None,
    *,
    store: AccountStore | None = None,
    throttle_store: ThrottleStore | None = None,
    key_store: KeyStore | None = None,
    revocation_store: RevocationStore | None = None,
    passwords: Passwords | None = None,
    clock: Callable[[], float] = time.time,
    metrics: AuthMetrics | None = None,
) -> Starlette:
    """The auth service. Collaborators default to the real ones the settings describe;
    `metrics` is what the management port serves (`serve` passes its own)."""
    settings = settings or AuthSettings.from_env()
    metrics = metrics or AuthMetrics()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[Mapping[str, AuthState]]:
        async with contextlib.AsyncExitStack() as stack:
            stores = await _stores(
                settings, stack, store, key_store, revocation_store, throttle_store
            )
            kek = KeyEncryptionKey.read(settings.key_encryption_key_file)
            ring = KeyRing(stores.keys, kek, settings.key_lifecycle)
            keeper = KeyKeeper(
                ring, interval=settings.key_rotation_interval, bits=settings.key_bits, clock=clock
            )
            await keeper.bootstrap(legacy_keys(settings.keys_dir))

            def key_age() -> float | None:
                signer = ring.timeline.signer(clock())
                return None if signer is None else clock() - signer.activates_at

            metrics.signing_key_age.watch(key_age)
            metrics.signing_keys_unusable.watch(lambda: float(ring.unusable))
            revoker = Revoker(
                stores.revocations,
                stores.accounts,
                access_token_ttl=settings.access_token_ttl,
                margin=settings.revocation_margin,
                clock=clock,
            )
            booth = Booth(
                settings,
                store=stores.accounts,
                passwords=passwords
                or Passwords(
                    concurrency=settings.hash_concurrency, queue_limit=settings.hash_queue
                ),
                throttle=LoginThrottle(
                    stores.throttle,
                    user_limit=settings.throttle_user_failures,
                    address_limit=settings.throttle_ip_failures,
                    window=settings.throttle_window,
                    lockout=settings.throttle_lockout,
                ),
                keys=ring,
                revoker=revoker,
                clock=clock,
                # Every replica derives the same MAC key from the KEK they share.
                devices=DeviceTokens(kek.derive(DEVICE_KEY_PURPOSE), clock=clock),
                on_login=metrics.logins,
                on_reuse=metrics.refresh_reuse.inc,
            )
            publisher = RevocationPublisher(
                stores.revocations,
                ring,
                issuer=settings.issuer,
                lifetime=settings.revocation_list_lifetime,
                clock=clock,
            )

            async def keep_keys() -> None:
                await ring.refresh()
                await keeper.rotate_if_due()

            tasks = await stack.enter_async_context(anyio.create_task_group())
            stack.callback(tasks.cancel_scope.cancel)
            every = settings.key_refresh_interval
            tasks.start_soon(_every, every, keep_keys, "keeping the keys last read")
            prune = getattr(stores.revocations, "prune", None)
            if prune is not None:
                tasks.start_soon(
                    _every, PRUNE_EVERY, lambda: prune(clock()), "revocations not pruned"
                )
            yield {
                STATE_KEY: AuthState(
                    booth=booth,
                    clients=ClientRegistry(settings.client_id, settings.oauth_clients),
                    keeper=keeper,
                    revocations=publisher,
                    metrics=metrics,
                )
            }

    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers=exception_handlers(PROBLEMS),
        middleware=[edge_middleware(settings, metrics, methods=("GET", "POST"))],
    )
