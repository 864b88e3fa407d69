"""The machine's HTTP edge: parse the request, call `Machine`, answer with a view."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shared.errors import InvalidInput
from shared.web.bodies import (
    BodyTooLarge,
    MalformedBody,
    UnsupportedMediaType,
    read_body,
    replay_request,
)
from shared.web.openapi import openapi_route
from shared.web.problems import problem_response
from vending_service.bearer import require
from vending_service.errors import ImageLinkRefused, PictureNotFound
from vending_service.pictures import Picture, Upload
from vending_service.quotas import Quota
from vending_service.state import app_state
from vending_service.views import quota_record, rate_limit_raw_headers

__all__ = ["routes"]

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_COUNT = re.compile(r"[0-9]{1,3}")
_FORM_FIELDS = frozenset({"image", "title", "visibility"})
# Room for a few unknown text fields, so that they are named as such (422) rather than
# counted; past this many the form is refused all the same, by Starlette's parser.
_MAX_TEXT_FIELDS = 8
# Multipart framing and the two text fields fit easily in this much beyond the image.
_FORM_OVERHEAD = 64 * 1024
_JSON = "application/json"


def _picture_id(request: Request) -> str:
    picture_id = str(request.path_params["picture_id"])
    if not _ID.fullmatch(picture_id):
        raise PictureNotFound()
    return picture_id


def _with_quota(response: Response, quota: Quota, now: float) -> Response:
    """`response` with the rate-limit headers of `quota` as of `now`."""
    response.raw_headers += rate_limit_raw_headers(quota, now)
    return response


def _picture(
    request: Request, picture: Picture, viewer: str, quota: Quota | None = None
) -> Response:
    state = app_state(request)
    now = state.machine.clock()
    response = Response(state.records.json(picture, viewer, now), media_type=_JSON)
    return response if quota is None else _with_quota(response, quota, now)


def _query_values(query: bytes, name: str) -> list[str]:
    """The values of `name` in a query string. A query with no escapes (`%`, `+`), what
    every client of ours sends, is split as it is; any other is read by `parse_qsl`."""
    text = query.decode("latin-1")
    if "%" in text or "+" in text:
        pairs = parse_qsl(text, keep_blank_values=True)
        return [value for key, value in pairs if key == name]
    return [
        value
        for key, _, value in (pair.partition("=") for pair in text.split("&") if pair)
        if key == name
    ]


def _count(request: Request) -> int:
    query = request.scope["query_string"]
    if not query:
        return 10
    values = _query_values(query, "count")
    if not values:
        return 10
    if len(values) > 1 or not _COUNT.fullmatch(values[0]) or not 1 <= int(values[0]) <= 100:
        raise InvalidInput("count must be a whole number from 1 to 100")
    return int(values[0])


async def list_cats(request: Request) -> Response:
    caller = require(request, "cats:read")
    count = _count(request)
    state = app_state(request)
    chosen, quota = await state.machine.vend(caller, count)
    now = state.machine.clock()
    body = state.records.gallery(chosen, quota, caller.sub, now)
    return _with_quota(Response(body, media_type=_JSON), quota, now)


async def get_cat(request: Request) -> Response:
    caller = require(request, "cats:read")
    picture, quota = await app_state(request).machine.show(caller, _picture_id(request))
    return _picture(request, picture, caller.sub, quota)


async def cat_image(request: Request) -> Response:
    """An image, by its signed URL only (no token): the signature names the viewer, whose
    right to see the picture is checked again now."""
    state = app_state(request)
    picture_id = str(request.path_params["picture_id"])
    if not _ID.fullmatch(picture_id):  # no URL of ours names it: nothing to sign or look up
        raise ImageLinkRefused()
    query = request.scope["query_string"].decode("latin-1")
    viewer = state.links.verify(picture_id, query, state.machine.clock())
    content_type, data = await state.machine.image(viewer, picture_id)
    return Response(
        data,
        media_type=content_type,
        # Checked on every load (a picture taken back stops loading at once), never kept by a
        # shared cache; the edge adds `nosniff`, so it is only ever the image it says it is.
        headers={"Cache-Control": "private, no-cache", "Content-Disposition": "inline"},
    )


async def _form(request: Request, body: bytes) -> FormData:
    """The multipart form, with Starlette's own refusals (too many fields or files, a part
    too large, broken framing) turned into a message that says what the upload may hold."""
    try:
        return await replay_request(request, body).form(
            max_files=1, max_fields=_MAX_TEXT_FIELDS, max_part_size=4096
        )
    except HTTPException as exc:
        if exc.detail.startswith("Too many"):
            raise InvalidInput(
                "the upload takes one file (image) and two text fields (title, visibility), "
                "nothing else"
            ) from exc
        if exc.detail.startswith(("Field exceeded", "Part exceeded")):
            raise InvalidInput(
                "title and visibility are short text fields (title: 1 to 100 characters)"
            ) from exc
        raise MalformedBody("the body is not a well-formed multipart/form-data form") from exc


async def _read_upload(request: Request) -> Upload:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "multipart/form-data":
        raise UnsupportedMediaType("the body must be multipart/form-data")
    limit = app_state(request).machine.settings.max_upload_bytes
    body = await read_body(request, limit + _FORM_OVERHEAD)
    form = await _form(request, body)
    try:
        if set(form.keys()) - _FORM_FIELDS:
            raise InvalidInput(
                "the upload takes the fields image, title and visibility only; remove the others"
            )
        image, title = form.get("image"), form.get("title")
        visibility = form.get("visibility", "private")
        if not isinstance(image, UploadFile):
            raise InvalidInput("image must be a file")
        if not isinstance(title, str) or not isinstance(visibility, str):
            raise InvalidInput("title and visibility must be text fields")
        data = await image.read(limit + 1)
    finally:
        await form.close()
    if len(data) > limit:
        raise BodyTooLarge(f"the image must be at most {limit} bytes")
    return Upload(title=title, visibility=visibility, image=data)


async def upload_cat(request: Request) -> Response:
    caller = require(request, "cats:write")
    state = app_state(request)
    picture = await state.machine.upload(caller, await _read_upload(request))
    response = _picture(request, picture, caller.sub)  # their own picture: not charged
    response.status_code = 201
    response.headers["Location"] = state.records.location(picture)
    return response


async def delete_cat(request: Request) -> Response:
    caller = require(request, "cats:write")
    await app_state(request).machine.delete(caller, _picture_id(request))
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
        await app_state(request).machine.share(caller, _picture_id(request), username)
    else:
        await app_state(request).machine.unshare(caller, _picture_id(request), username)
    return Response(status_code=204)


async def me(request: Request) -> Response:
    caller = require(request)
    machine = app_state(request).machine
    quota = await machine.usage(caller)
    body = {
        "sub": caller.sub,
        "tier": caller.tier,
        "scopes": sorted(caller.scopes),
        "quota": quota_record(quota),
    }
    return _with_quota(JSONResponse(body), quota, machine.clock())


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    state = app_state(request)
    jwks = state.jwks
    if not jwks.ready:
        return problem_response(503, "Service Unavailable", "no signing keys fetched yet")
    if state.revocations.current is None:
        return problem_response(503, "Service Unavailable", "no revocation list fetched yet")
    if state.refuses_all_tokens():
        return problem_response(
            503,
            "Service Unavailable",
            "the revocation list is stale (fail mode closed)",
            headers={"Retry-After": "5"},
        )
    stores = state.machine
    # In the `open` failure mode the machine serves without its quota store: still ready.
    quota_optional = stores.settings.quota_failure_mode == "open"
    if not (await stores.pictures.ready() and (quota_optional or await stores.quotas.ready())):
        return problem_response(
            503, "Service Unavailable", "a store is not reachable", headers={"Retry-After": "5"}
        )
    revocations = "stale" if state.revocations_stale() else "fresh"
    return JSONResponse({"status": "ready", "keys": len(jwks.keys), "revocations": revocations})


# One route per path, so that a 405's `Allow` names every method the path takes (RFC 9110).
routes = [
    Route("/cats", cats, methods=["GET", "POST"]),
    Route("/cats/{picture_id}", cat, methods=["GET", "DELETE"], name="cat"),
    Route("/cats/{picture_id}/image", cat_image, methods=["GET"], name="cat_image"),
    Route("/cats/{picture_id}/shares/{username}", share, methods=["PUT", "DELETE"]),
    Route("/me", me, methods=["GET"]),
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    openapi_route("vending_service"),
]
