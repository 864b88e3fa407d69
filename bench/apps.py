"""Apps only the benchmark serves: the vending stack's ceiling, and a JWKS document server.

`ceiling()` is the real vending app with its two per-request costs taken out: the bearer
authentication middleware is replaced by one that names a fixed caller, and the quota
store counts nothing. Everything else (edge middleware, routing, the machine, the picture
store, JSON) is what `python -m vending_service serve` runs. It lives here, outside the
service, so that no setting, variable or flag of the service can reach it.

Both are uvicorn factories configured from `BENCH_*` variables set by `bench.run`.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import cast

import httpx
from starlette.applications import Starlette
from starlette.authentication import AuthCredentials
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.cli import freeze_after_startup
from shared.tokens import AccessClaims
from vending_service.app import create_app
from vending_service.auth import BearerAuthentication, BearerUser
from vending_service.quota import Quota, QuotaExceeded, quota_day
from vending_service.settings import VendingSettings

__all__ = ["FixedCaller", "UnmeteredQuotas", "ceiling", "ceiling_app", "jwks"]

CEILING_CALLER = AccessClaims(
    sub="ceiling", scopes=frozenset({"cats:read"}), tier="free", exp=math.inf
)


class FixedCaller:
    """Stands where the bearer middleware stood: every request is `CEILING_CALLER`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.user = BearerUser(CEILING_CALLER)
        self.auth = AuthCredentials(sorted(CEILING_CALLER.scopes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope["user"], scope["auth"] = self.user, self.auth
        await self.app(scope, receive, send)


class UnmeteredQuotas:
    """A `QuotaStore` that counts nothing: every caller always has the whole day's limit."""

    async def charge(self, subject: str, amount: int, limit: int, now: float) -> Quota:
        if amount > limit:
            raise QuotaExceeded(Quota(limit, 0, quota_day(now)[1]), amount)
        return Quota(limit, 0, quota_day(now)[1])

    async def usage(self, subject: str, limit: int, now: float) -> Quota:
        return Quota(limit, 0, quota_day(now)[1])

    async def ready(self) -> bool:
        return True


def _is_authentication(middleware: Middleware) -> bool:
    return cast(object, middleware.cls) is BearerAuthentication


def ceiling_app(
    settings: VendingSettings, *, transport: httpx.AsyncBaseTransport | None = None
) -> Starlette:
    """The vending app for `settings`, without authentication and quota charging."""
    app = create_app(settings, transport=transport, quotas=UnmeteredQuotas())
    kept = [m for m in app.user_middleware if not _is_authentication(m)]
    if len(kept) != len(app.user_middleware) - 1:
        raise RuntimeError("the vending app no longer has exactly one authentication middleware")
    # The middleware stack is built on the first request, so the swap takes effect.
    app.user_middleware = [*kept, Middleware(FixedCaller)]
    return app


def ceiling() -> ASGIApp:
    """The uvicorn factory: `ceiling_app` from the environment, served like the real one
    (with the garbage collector set aside after startup, as `serve` does)."""
    return freeze_after_startup(ceiling_app(VendingSettings.from_env()))


def jwks() -> Starlette:
    """Serves the JWKS document in `BENCH_JWKS_FILE` as an auth service would."""
    document = Path(os.environ["BENCH_JWKS_FILE"]).read_bytes()

    async def keys(request: Request) -> Response:
        return Response(
            document,
            media_type="application/json",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    return Starlette(routes=[Route("/.well-known/jwks.json", keys, methods=["GET"])])
