"""The reference: `GET /cats` as tutorials write it, with `jwt.decode` on every request.

PyJWT's documented pattern: a `PyJWKClient` on the JWKS URL names the key and `jwt.decode`
checks the signature and the claims, on every request, with no cache of verified tokens.
It serves the same JSON as the vending machine (`{"cats": [...], "quota": {...}}`), built
the same way, from the catalogue it read once from a vending database; it has no
middleware and charges nothing, so what it costs beyond the framework is the decoding.

The framework's own ceiling is `bench/bare_app.py` (constant JSON, nothing read).

A uvicorn factory configured from `BENCH_*` variables set by `bench.suite`; benchmark only.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from contextlib import closing

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from shared.web.cli import freeze_after_startup
from vending_service.pictures import Picture
from vending_service.quotas import Quota, quota_day
from vending_service.views import PictureRecords, quota_record

__all__ = ["create_naive_app"]

QUOTA_LIMIT = 10**9


def _public_pictures(database: str) -> list[Picture]:
    with closing(sqlite3.connect(database)) as db:
        rows = db.execute(
            "SELECT id, title, owner, visibility, content_type, width, height, created_at "
            "FROM pictures WHERE visibility = 'public'"
        ).fetchall()
    return [Picture(*row) for row in rows]


def create_naive_app() -> ASGIApp:
    """The reference app, served with the same garbage-collector tuning as the others."""
    jwks_client = jwt.PyJWKClient(os.environ["BENCH_JWKS_URL"])
    issuer, audience = os.environ["BENCH_ISSUER"], os.environ["BENCH_AUDIENCE"]
    catalogue = _public_pictures(os.environ["BENCH_DATABASE"])

    def gallery(request: Request) -> Response:
        count = int(request.query_params.get("count", "10"))
        chosen = random.sample(catalogue, min(count, len(catalogue)))
        records = PictureRecords(str(request.base_url).rstrip("/"))
        quota = Quota(QUOTA_LIMIT, 0, quota_day(time.time())[1])
        cats = [records.record(picture) for picture in chosen]
        return JSONResponse({"cats": cats, "quota": quota_record(quota)})

    async def cats(request: Request) -> Response:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return JSONResponse({"detail": "Not authenticated"}, status_code=401)
        token = header.removeprefix("Bearer ")
        try:
            signing_key = jwks_client.get_signing_key_from_jwt(token)
            jwt.decode(
                token, signing_key.key, algorithms=["RS256"], audience=audience, issuer=issuer
            )
        except jwt.PyJWTError:
            return JSONResponse({"detail": "Invalid token"}, status_code=401)
        return gallery(request)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    app = Starlette(
        routes=[
            Route("/cats", cats, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )
    return freeze_after_startup(app)
