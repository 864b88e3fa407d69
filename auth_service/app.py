"""`create_app`: the booth wired from its settings, with real collaborators by default."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager

from starlette.applications import Starlette

from auth_service.accounts import AccountStore
from auth_service.accounts.sql import SQLAccountStore
from auth_service.booth import Booth
from auth_service.keys import KeyRing
from auth_service.passwords import Passwords
from auth_service.routes import routes
from auth_service.settings import AuthSettings
from auth_service.state import STATE_KEY, AuthState
from auth_service.throttle import LoginThrottle, MemoryThrottleStore, ThrottleStore
from auth_service.throttle.redis import RedisThrottleStore
from auth_service.views import PROBLEMS
from shared.stores.db import create_engine, create_redis
from shared.web.edge import edge_middleware
from shared.web.metrics import AuthMetrics
from shared.web.problems import exception_handlers

__all__ = ["create_app"]


def create_app(
    settings: AuthSettings | None = None,
    *,
    store: AccountStore | None = None,
    throttle_store: ThrottleStore | None = None,
    keys: KeyRing | None = None,
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
            accounts = store
            if accounts is None:
                sql_store = SQLAccountStore(create_engine(settings.database_url))
                stack.push_async_callback(sql_store.close)
                await sql_store.migrate()
                accounts = sql_store
            counters = throttle_store
            if counters is None and settings.redis_url:
                redis = create_redis(settings.redis_url)
                stack.push_async_callback(redis.aclose)
                counters = RedisThrottleStore(redis)
            booth = Booth(
                settings,
                store=accounts,
                passwords=passwords or Passwords(concurrency=settings.hash_concurrency),
                throttle=LoginThrottle(
                    counters or MemoryThrottleStore(),
                    user_limit=settings.throttle_user_failures,
                    address_limit=settings.throttle_ip_failures,
                    window=settings.throttle_window,
                    lockout=settings.throttle_lockout,
                ),
                keys=keys or KeyRing.load(settings.keys_dir),
                clock=clock,
                on_login=metrics.logins,
                on_reuse=metrics.refresh_reuse.inc,
            )
            yield {STATE_KEY: AuthState(booth=booth, metrics=metrics)}

    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers=exception_handlers(PROBLEMS),
        middleware=edge_middleware(
            metrics,
            origins=settings.cors_origins,
            methods=("GET", "POST"),
            served_by=settings.served_by,
            access_log=settings.access_log,
        ),
    )
