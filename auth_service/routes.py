"""The booth's HTTP edge: parse the request, call `Booth`, answer with a view."""

from __future__ import annotations

import ipaddress

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from auth_service.state import app_state
from auth_service.views import metadata_document, token_response
from shared.web.bodies import read_json_object
from shared.web.openapi import openapi_route
from shared.web.problems import problem_response

__all__ = ["routes"]

_CREDENTIALS = {"username": str, "password": str}
_REFRESH = {"refresh_token": str}
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_address(request: Request) -> str:
    """The caller's address; X-Forwarded-For is read only when the peer is a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    trusted = app_state(request).booth.settings.trusted_proxies
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


def _in(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


async def register(request: Request) -> Response:
    body = await read_json_object(request, _CREDENTIALS)
    username = await app_state(request).booth.register(body["username"], body["password"])
    return JSONResponse({"username": username}, status_code=201)


async def login(request: Request) -> Response:
    body = await read_json_object(request, _CREDENTIALS)
    booth = app_state(request).booth
    pair = await booth.login(body["username"], body["password"], client_address(request))
    return token_response(pair)


async def refresh(request: Request) -> Response:
    body = await read_json_object(request, _REFRESH)
    return token_response(await app_state(request).booth.refresh(body["refresh_token"]))


async def logout(request: Request) -> Response:
    body = await read_json_object(request, _REFRESH)
    await app_state(request).booth.logout(body["refresh_token"])
    return Response(status_code=204)


def _etag_matches(header: str, etag: str) -> bool:
    candidates = [c.strip() for c in header.split(",")]
    return "*" in candidates or any(c.removeprefix("W/") == etag for c in candidates)


async def jwks(request: Request) -> Response:
    booth = app_state(request).booth
    keys = booth.keys
    headers = {"Cache-Control": f"public, max-age={booth.settings.jwks_max_age}", "ETag": keys.etag}
    if _etag_matches(request.headers.get("if-none-match", ""), keys.etag):
        return Response(status_code=304, headers=headers)
    return Response(keys.jwks_body, headers=headers, media_type="application/json")


async def metadata(request: Request) -> Response:
    return Response(
        metadata_document(app_state(request).booth.settings),
        media_type="application/json",
        headers={"Cache-Control": "public, max-age=3600"},
    )


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    booth = app_state(request).booth
    if await booth.store.ready() and await booth.throttle.store.ready():
        return JSONResponse({"status": "ready", "kid": booth.keys.signing.kid})
    return problem_response(
        503, "Service Unavailable", "a store is not reachable", headers={"Retry-After": "5"}
    )


routes = [
    Route("/register", register, methods=["POST"]),
    Route("/login", login, methods=["POST"]),
    Route("/refresh", refresh, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/.well-known/jwks.json", jwks, methods=["GET"]),
    Route("/.well-known/oauth-authorization-server", metadata, methods=["GET"]),
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    openapi_route("auth_service"),
]
