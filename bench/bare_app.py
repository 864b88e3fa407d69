"""The framework's ceiling: a bare Starlette route answering `GET /cats` with constant JSON.

The body has the shape of the vending machine's `GET /cats?count=1` (one picture record
and the quota object, built by the same view functions), encoded once at startup. No
token is read, no database opened, no middleware added beyond what `Starlette()` itself
puts around every app (its error and exception middleware). Whatever a request costs
here is uvicorn, the event loop and Starlette: no service on this stack can be cheaper,
so `make bench` states Lanyard's throughput as a fraction of this one (issue 18).

A uvicorn factory, served with the same garbage-collector step as the others; benchmark
only.
"""

from __future__ import annotations

import json
import os
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from shared.web.cli import freeze_after_startup
from vending_service.pictures import Picture
from vending_service.quotas import Quota, quota_day
from vending_service.views import PictureRecords, quota_record

__all__ = ["BARE_PICTURE", "bare", "bare_body", "create_bare_app"]

BARE_PICTURE = Picture(
    id="bareCat0000000000000000",
    title="A cat of constant JSON",
    owner="lanyard",
    visibility="public",
    content_type="image/png",
    width=512,
    height=512,
    created_at=1_764_547_200.0,
)


def bare_body(public_url: str, now: float) -> bytes:
    """`GET /cats?count=1`'s body for `BARE_PICTURE`, as compact JSON, as the machine
    writes it (one record, a quota of 10⁹ with nothing used)."""
    records = PictureRecords(public_url.rstrip("/"))
    quota = Quota(10**9, 0, quota_day(now)[1])
    document = {"cats": [records.record(BARE_PICTURE)], "quota": quota_record(quota)}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def create_bare_app(public_url: str = "http://127.0.0.1") -> Starlette:
    """A Starlette app with `/cats` (the constant gallery) and `/healthz`."""
    body = bare_body(public_url, time.time())

    async def cats(request: Request) -> Response:
        return Response(body, media_type="application/json")

    async def healthz(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    return Starlette(
        routes=[
            Route("/cats", cats, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


def bare() -> ASGIApp:
    """The uvicorn factory (`PUBLIC_URL` from the environment, as the others read it)."""
    return freeze_after_startup(create_bare_app(os.environ.get("PUBLIC_URL", "http://127.0.0.1")))
