"""Apps only the benchmark serves: the vending stack's ceiling, and a JWKS document server.

`ceiling()` is the real vending app with its two per-request costs taken out: its
`authenticate` names a fixed caller without looking at the request, and the quota store
counts nothing. Everything else (edge middleware, routing, the machine, the picture
store, JSON) is what `python -m vending_service serve` runs. It lives here, outside the
service, so that no setting, variable or flag of the service can reach it.

Both are uvicorn factories configured from `BENCH_*` variables set by `bench.run`.
"""

from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Scope

from shared.tokens.claims import AccessClaims
from shared.web.cli import freeze_after_startup
from vending_service.app import create_app
from vending_service.quotas import Quota, QuotaExceeded, quota_day
from vending_service.settings import VendingSettings

__all__ = ["UnmeteredQuotas", "ceiling", "ceiling_app", "documents", "fixed_caller"]

CEILING_CALLER = AccessClaims(
    sub="ceiling", scopes=frozenset({"cats:read"}), tier="free", exp=math.inf
)


async def fixed_caller(scope: Scope) -> AccessClaims:
    """Stands where the bearer token's verification stood: every request is the ceiling's."""
    return CEILING_CALLER


class UnmeteredQuotas:
    """A `QuotaStore` that counts nothing: every caller always has the whole day's limit."""

    async def charge(self, subject: str, amount: int, limit: int, now: float) -> Quota:
        if amount > limit:
            raise QuotaExceeded(Quota(limit, 0, quota_day(now)[1]), amount, now)
        return Quota(limit, 0, quota_day(now)[1])

    async def usage(self, subject: str, limit: int, now: float) -> Quota:
        return Quota(limit, 0, quota_day(now)[1])

    async def ready(self) -> bool:
        return True


def ceiling_app(
    settings: VendingSettings, *, transport: httpx.AsyncBaseTransport | None = None
) -> Starlette:
    """The vending app for `settings`, without authentication and quota charging."""
    return create_app(
        settings, transport=transport, quotas=UnmeteredQuotas(), authenticate=fixed_caller
    )


def ceiling() -> ASGIApp:
    """The uvicorn factory: `ceiling_app` from the environment, served like the real one
    (with the garbage collector set aside after startup, as `serve` does)."""
    return freeze_after_startup(ceiling_app(VendingSettings.from_env()))


def documents() -> Starlette:
    """Serves `jwks.json` and `revocations.jwt` from the folder `BENCH_DOCUMENTS` as the
    booth does: the key set cacheable for 300 s, the revocation list for 5 s (so the
    vending services re-validate it all through a run, as they would in production), each
    with an ETag and a 304 for a matching `If-None-Match`."""
    folder = Path(os.environ["BENCH_DOCUMENTS"])
    return _serve_documents(
        {"jwks.json": (folder / "jwks.json", 300)}
        | {"revocations.jwt": (folder / "revocations.jwt", 5)}
    )


def _serve_documents(files: dict[str, tuple[Path, int]]) -> Starlette:
    """Each file at `/.well-known/<name>`, read once, cacheable for its max-age."""
    media = {".json": "application/json", ".jwt": "application/jwt"}
    routes = []
    for name, (path, max_age) in files.items():
        body = path.read_bytes()
        etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
        headers = {"Cache-Control": f"public, max-age={max_age}", "ETag": etag}

        async def serve(
            request: Request,
            body: bytes = body,
            headers: dict[str, str] = headers,
            kind: str = media[path.suffix],
        ) -> Response:
            if request.headers.get("if-none-match") == headers["ETag"]:
                return Response(status_code=304, headers=headers)
            return Response(body, media_type=kind, headers=headers)

        routes.append(Route(f"/.well-known/{name}", serve, methods=["GET"]))
    return Starlette(routes=routes)
