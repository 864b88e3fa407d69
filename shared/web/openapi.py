"""Serving a service's own OpenAPI document, byte for byte as it ships in the package."""

from __future__ import annotations

import json
from importlib import resources

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["OPENAPI_MAX_AGE", "openapi_route"]

OPENAPI_MAX_AGE = 300


def openapi_route(package: str, path: str = "/openapi.json") -> Route:
    """A public `GET path` answering `package`'s `openapi.json`, read once, here and now.

    The document is the hand-written source of truth, so it is served unchanged; a file that
    is not JSON stops the service at import rather than at the first request.
    """
    body = resources.files(package).joinpath("openapi.json").read_bytes()
    json.loads(body)
    headers = {"Cache-Control": f"public, max-age={OPENAPI_MAX_AGE}"}

    async def openapi(request: Request) -> Response:
        return Response(body, media_type="application/json", headers=headers)

    return Route(path, openapi, methods=["GET"], name="openapi")
