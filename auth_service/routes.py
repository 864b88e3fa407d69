"""The booth's HTTP edge: parse the request, call `Booth`, answer with a view."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from auth_service.addresses import client_address
from auth_service.keys import NoSigningKey
from auth_service.oauth import introspect, revoke, token
from auth_service.state import app_state
from auth_service.views import metadata_document, token_response
from shared.web.bodies import read_json_object
from shared.web.openapi import openapi_route
from shared.web.problems import problem_response

__all__ = ["routes"]

_CREDENTIALS = {"username": str, "password": str}
_DEVICE = {"device_token": str}
_REFRESH = {"refresh_token": str}


async def register(request: Request) -> Response:
    body = await read_json_object(request, _CREDENTIALS)
    booth = app_state(request).booth
    username = await booth.register(body["username"], body["password"], client_address(request))
    return JSONResponse({"username": username}, status_code=201)


async def login(request: Request) -> Response:
    body = await read_json_object(request, _CREDENTIALS, optional=_DEVICE)
    booth = app_state(request).booth
    pair = await booth.login(
        body["username"],
        body["password"],
        client_address(request),
        device_token=body.get("device_token"),
    )
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


def _published(request: Request, body: bytes, etag: str, max_age: int, media_type: str) -> Response:
    """A document every replica serves alike: cacheable for `max_age`, 304 on a match."""
    headers = {"Cache-Control": f"public, max-age={max_age}", "ETag": etag}
    if _etag_matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, headers=headers, media_type=media_type)


async def jwks(request: Request) -> Response:
    booth = app_state(request).booth
    body, etag = booth.keys.jwks(booth.clock())
    return _published(request, body, etag, booth.settings.jwks_max_age, "application/json")


async def revocations(request: Request) -> Response:
    state = app_state(request)
    body, etag = await state.revocations.document()
    max_age = state.booth.settings.revocation_max_age
    return _published(request, body, etag, max_age, "application/jwt")


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
    if not (await booth.store.ready() and await booth.throttle.store.ready()):
        return problem_response(
            503, "Service Unavailable", "a store is not reachable", headers={"Retry-After": "5"}
        )
    try:
        kid = booth.keys.signing(booth.clock()).kid
    except NoSigningKey as exc:
        return problem_response(
            503, "Service Unavailable", exc.detail, headers={"Retry-After": "5"}
        )
    return JSONResponse({"status": "ready", "kid": kid})


routes = [
    Route("/register", register, methods=["POST"]),
    Route("/login", login, methods=["POST"]),
    Route("/refresh", refresh, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/token", token, methods=["POST"]),
    Route("/revoke", revoke, methods=["POST"]),
    Route("/introspect", introspect, methods=["POST"]),
    Route("/.well-known/jwks.json", jwks, methods=["GET"]),
    Route("/.well-known/revocations.jwt", revocations, methods=["GET"]),
    Route("/.well-known/oauth-authorization-server", metadata, methods=["GET"]),
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    openapi_route("auth_service"),
]
