"""`create_app`: the booth wired from its settings, with real collaborators by default."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from auth_service.booth import Booth, InvalidCredentials, InvalidRefreshToken
from auth_service.keys import KeyRing
from auth_service.passwords import Passwords
from auth_service.redis_throttle import RedisThrottleStore
from auth_service.routes import routes
from auth_service.settings import AuthSettings
from auth_service.store import AccountStore, SQLAccountStore
from auth_service.throttle import LoginThrottle, MemoryThrottleStore, Throttled, ThrottleStore
from shared.db import create_engine, create_redis
from shared.errors import problem_handlers, problem_response
from shared.http import edge_middleware
from shared.metrics import HTTPMetrics

__all__ = ["create_app"]


async def _invalid_credentials(request: Request, exc: Exception) -> Response:
    return problem_response(401, "Unauthorized", "invalid username or password")


async def _invalid_refresh(request: Request, exc: Exception) -> Response:
    return problem_response(401, "Unauthorized", "the refresh token is invalid or expired")


async def _throttled(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Throttled)
    return problem_response(
        429,
        "Too Many Requests",
        "too many failed logins; try again later",
        headers={"Retry-After": str(exc.retry_after)},
        retry_after=exc.retry_after,
    )


def create_app(
    settings: AuthSettings | None = None,
    *,
    store: AccountStore | None = None,
    throttle_store: ThrottleStore | None = None,
    keys: KeyRing | None = None,
    passwords: Passwords | None = None,
    clock: Callable[[], float] = time.time,
) -> Starlette:
    """The auth service. Collaborators default to the real ones the settings describe."""
    settings = settings or AuthSettings.from_env()
    metrics = HTTPMetrics("auth")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        async with contextlib.AsyncExitStack() as stack:
            account_store = store
            if account_store is None:
                sql_store = SQLAccountStore(create_engine(settings.database_url))
                stack.push_async_callback(sql_store.close)
                await sql_store.migrate()
                account_store = sql_store
            limiter_store = throttle_store
            if limiter_store is None and settings.redis_url:
                redis = create_redis(settings.redis_url)
                stack.push_async_callback(redis.aclose)
                limiter_store = RedisThrottleStore(redis)
            booth = Booth(
                settings,
                store=account_store,
                passwords=passwords or Passwords(concurrency=settings.hash_concurrency),
                throttle=LoginThrottle(
                    limiter_store or MemoryThrottleStore(),
                    user_limit=settings.throttle_user_failures,
                    address_limit=settings.throttle_ip_failures,
                    window=settings.throttle_window,
                    lockout=settings.throttle_lockout,
                ),
                keys=keys or KeyRing.load(settings.keys_dir),
                clock=clock,
            )
            yield {"booth": booth, "metrics": metrics}

    handlers = problem_handlers()
    handlers[InvalidCredentials] = _invalid_credentials
    handlers[InvalidRefreshToken] = _invalid_refresh
    handlers[Throttled] = _throttled
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers=handlers,
        middleware=edge_middleware(
            metrics,
            origins=settings.cors_origins,
            methods=("GET", "POST"),
            served_by=settings.served_by,
        ),
    )
