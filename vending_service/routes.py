"""The vending machine's HTTP edge: parse, call the service layer, shape the answer."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import cast
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shared.bodies import read_body, replay_request
from shared.errors import (
    NotFound,
    PayloadTooLarge,
    UnprocessableContent,
    UnsupportedMediaType,
    problem_response,
)
from shared.jwks import JWKSCache
from shared.metrics import HTTPMetrics, metrics_response
from shared.openapi import openapi_route
from vending_service.auth import require
from vending_service.machine import Machine, Upload
from vending_service.pictures import Picture
from vending_service.quota import Quota

__all__ = ["routes"]

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_COUNT = re.compile(r"[0-9]{1,3}")
_FORM_FIELDS = frozenset({"image", "title", "visibility"})
# Multipart framing and the two text fields fit easily in this much beyond the image.
_FORM_OVERHEAD = 64 * 1024


def machine(request: Request) -> Machine:
    return cast(Machine, request.scope["state"]["machine"])


def _picture_id(request: Request) -> str:
    picture_id = str(request.path_params["picture_id"])
    if not _ID.fullmatch(picture_id):
        raise NotFound("no such picture")
    return picture_id


# Image URLs are absolute, so they depend on the request's base: scheme, server, Host and
# root paths (the route's own path is the same for every app built from this module). One
# `url_for` per base (a dozen µs) is kept here; the Host header is the client's to choose,
# so the table is bounded and starts again when full.
_URL_BASES: dict[tuple[object, ...], tuple[str, str]] = {}
_MAX_URL_BASES = 64


def _image_urls(request: Request) -> Callable[[str], str]:
    """Each picture's `image_url`, from one `url_for` per request base."""
    scope = request.scope
    host = next((value for name, value in scope["headers"] if name == b"host"), None)
    key = (
        scope.get("scheme", "http"),
        scope.get("server"),
        scope.get("app_root_path"),
        scope.get("root_path", ""),
        host,
    )
    base = _URL_BASES.get(key)
    if base is None:
        head, _, tail = str(request.url_for("cat_image", picture_id="-")).rpartition("/-/")
        if len(_URL_BASES) >= _MAX_URL_BASES:
            _URL_BASES.clear()
        base = _URL_BASES[key] = (f"{head}/", f"/{tail}")
    head, tail = base
    # Picture ids are [A-Za-z0-9_-]: nothing to escape.
    return lambda picture_id: f"{head}{picture_id}{tail}"


def _record(request: Request, picture: Picture) -> dict[str, object]:
    return picture.record(_image_urls(request)(picture.id))


def _quota_headers(request: Request, quota: Quota) -> dict[str, str]:
    return quota.headers(machine(request).clock())


def _count(request: Request) -> int:
    query = request.scope["query_string"]
    if not query:
        return 10
    values = [
        v for k, v in parse_qsl(query.decode("latin-1"), keep_blank_values=True) if k == "count"
    ]
    if not values:
        return 10
    if len(values) > 1 or not _COUNT.fullmatch(values[0]) or not 1 <= int(values[0]) <= 100:
        raise UnprocessableContent("count must be a whole number from 1 to 100")
    return int(values[0])


async def list_cats(request: Request) -> Response:
    caller = require(request, "cats:read")
    count = _count(request)
    chosen, quota = await machine(request).vend(caller, count)
    image_url = _image_urls(request)
    # The busiest answer: the records' JSON is kept per picture (`Picture.record_json`).
    cats = ",".join(p.record_json(image_url(p.id)) for p in chosen)
    body = f'{{"cats":[{cats}],"quota":{quota.as_json()}}}'
    return Response(body, media_type="application/json", headers=_quota_headers(request, quota))


async def get_cat(request: Request) -> Response:
    caller = require(request, "cats:read")
    picture, quota = await machine(request).show(caller, _picture_id(request))
    return JSONResponse(_record(request, picture), headers=_quota_headers(request, quota))


async def cat_image(request: Request) -> Response:
    caller = require(request, "cats:read")
    content_type, data = await machine(request).image(caller, _picture_id(request))
    return Response(
        data,
        media_type=content_type,
        headers={"Cache-Control": "private, max-age=300", "Content-Disposition": "inline"},
    )


async def _read_upload(request: Request) -> Upload:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "multipart/form-data":
        raise UnsupportedMediaType("the body must be multipart/form-data")
    limit = machine(request).settings.max_upload_bytes
    body = await read_body(request, limit + _FORM_OVERHEAD)
    form = await replay_request(request, body).form(max_files=1, max_fields=2, max_part_size=4096)
    try:
        if set(form.keys()) - _FORM_FIELDS:
            raise UnprocessableContent("the only fields allowed are image, title and visibility")
        image, title = form.get("image"), form.get("title")
        visibility = form.get("visibility", "private")
        if not isinstance(image, UploadFile):
            raise UnprocessableContent("image must be a file")
        if not isinstance(title, str) or not isinstance(visibility, str):
            raise UnprocessableContent("title and visibility must be text fields")
        data = await image.read(limit + 1)
    finally:
        await form.close()
    if len(data) > limit:
        raise PayloadTooLarge(f"the image must be at most {limit} bytes")
    return Upload(title=title, visibility=visibility, image=data)


async def upload_cat(request: Request) -> Response:
    caller = require(request, "cats:write")
    picture = await machine(request).upload(caller, await _read_upload(request))
    record = _record(request, picture)
    location = str(request.url_for("cat", picture_id=picture.id))
    return JSONResponse(record, status_code=201, headers={"Location": location})


async def delete_cat(request: Request) -> Response:
    caller = require(request, "cats:write")
    await machine(request).delete(caller, _picture_id(request))
    return Response(status_code=204)


async def cats(request: Request) -> Response:
    if request.method == "POST":
        return await upload_cat(request)
    return await list_cats(request)


async def cat(request: Request) -> Response:
    if request.method == "DELETE":
        return await delete_cat(request)
    return await get_cat(request)


async def share(request: Request) -> Response:
    caller = require(request, "cats:write")
    username = str(request.path_params["username"])
    if request.method == "PUT":
        await machine(request).share(caller, _picture_id(request), username)
    else:
        await machine(request).unshare(caller, _picture_id(request), username)
    return Response(status_code=204)


async def me(request: Request) -> Response:
    caller = require(request)
    quota = await machine(request).usage(caller)
    body = {
        "sub": caller.sub,
        "tier": caller.tier,
        "scopes": sorted(caller.scopes),
        "quota": quota.as_dict(),
    }
    return JSONResponse(body, headers=_quota_headers(request, quota))


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    jwks = cast(JWKSCache, request.state.jwks)
    if not jwks.ready:
        return problem_response(503, "Service Unavailable", "no signing keys fetched yet")
    stores = machine(request)
    # In the `open` failure mode the machine serves without its quota store: still ready.
    quota_optional = stores.settings.quota_failure_mode == "open"
    if not (await stores.pictures.ready() and (quota_optional or await stores.quotas.ready())):
        return problem_response(
            503, "Service Unavailable", "a store is not reachable", headers={"Retry-After": "5"}
        )
    return JSONResponse({"status": "ready", "keys": len(jwks.keys)})


async def metrics(request: Request) -> Response:
    return metrics_response(cast(HTTPMetrics, request.state.metrics))


# One route per path, so that a 405's `Allow` names every method the path takes (RFC 9110).
routes = [
    Route("/cats", cats, methods=["GET", "POST"]),
    Route("/cats/{picture_id}", cat, methods=["GET", "DELETE"], name="cat"),
    Route("/cats/{picture_id}/image", cat_image, methods=["GET"], name="cat_image"),
    Route("/cats/{picture_id}/shares/{username}", share, methods=["PUT", "DELETE"]),
    Route("/me", me, methods=["GET"]),
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
    openapi_route("vending_service"),
]
