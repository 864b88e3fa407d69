"""The booth's HTTP edge: parse, call the service layer, shape the answer."""

from __future__ import annotations

import ipaddress
import json
from typing import cast

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from auth_service.booth import Booth, TokenPair
from shared.bodies import read_json_object
from shared.errors import problem_response
from shared.metrics import HTTPMetrics, metrics_response
from shared.openapi import openapi_route

__all__ = ["routes"]

_CREDENTIALS = {"username": str, "password": str}
_REFRESH = {"refresh_token": str}


def booth(request: Request) -> Booth:
    return cast(Booth, request.state.booth)


def client_address(request: Request) -> str:
    """The caller's address; X-Forwarded-For is read only when the peer is a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    trusted = booth(request).settings.trusted_proxies
    if not trusted or not _in(peer, trusted):
        return peer
    hops = [h.strip() for v in request.headers.getlist("x-forwarded-for") for h in v.split(",")]
    for hop in reversed(hops):
        if not _in(hop, trusted):
            return hop if _is_ip(hop) else peer
    return peer


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _in(address: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _tokens(pair: TokenPair) -> Response:
    return JSONResponse(
        pair.as_response(), headers={"Cache-Control": "no-store", "Pragma": "no-cache"}
    )


async def register(request: Request) -> Response:
    body = await read_json_object(request, _CREDENTIALS)
    username = await booth(request).register(body["username"], body["password"])
    return JSONResponse({"username": username}, status_code=201)


async def login(request: Request) -> Response:
    body = await read_json_object(request, _CREDENTIALS)
    pair = await booth(request).login(body["username"], body["password"], client_address(request))
    return _tokens(pair)


async def refresh(request: Request) -> Response:
    body = await read_json_object(request, _REFRESH)
    return _tokens(await booth(request).refresh(body["refresh_token"]))


async def logout(request: Request) -> Response:
    body = await read_json_object(request, _REFRESH)
    await booth(request).logout(body["refresh_token"])
    return Response(status_code=204)


def _etag_matches(header: str, etag: str) -> bool:
    candidates = [c.strip() for c in header.split(",")]
    return "*" in candidates or any(c.removeprefix("W/") == etag for c in candidates)


async def jwks(request: Request) -> Response:
    keys = booth(request).keys
    max_age = booth(request).settings.jwks_max_age
    headers = {"Cache-Control": f"public, max-age={max_age}", "ETag": keys.etag}
    if _etag_matches(request.headers.get("if-none-match", ""), keys.etag):
        return Response(status_code=304, headers=headers)
    return Response(keys.jwks_body, headers=headers, media_type="application/json")


async def metadata(request: Request) -> Response:
    settings = booth(request).settings
    issuer = settings.issuer
    document = {
        "issuer": issuer,
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "token_endpoint": f"{issuer}/login",
        "revocation_endpoint": f"{issuer}/logout",
        "grant_types_supported": ["password", "refresh_token"],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": ["none"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        "scopes_supported": list(settings.default_scopes),
    }
    return Response(
        json.dumps(document, separators=(",", ":")),
        media_type="application/json",
        headers={"Cache-Control": "public, max-age=3600"},
    )


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    the_booth = booth(request)
    if await the_booth.store.ready() and await the_booth.throttle.store.ready():
        return JSONResponse({"status": "ready", "kid": the_booth.keys.signing.kid})
    return problem_response(
        503, "Service Unavailable", "a store is not reachable", headers={"Retry-After": "5"}
    )


async def metrics(request: Request) -> Response:
    return metrics_response(cast(HTTPMetrics, request.state.metrics))


routes = [
    Route("/register", register, methods=["POST"]),
    Route("/login", login, methods=["POST"]),
    Route("/refresh", refresh, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/.well-known/jwks.json", jwks, methods=["GET"]),
    Route("/.well-known/oauth-authorization-server", metadata, methods=["GET"]),
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
    openapi_route("auth_service"),
]
