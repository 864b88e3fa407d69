"""The booth's OAuth 2.0 front doors: `/token` (RFC 6749), `/revoke` (RFC 7009) and
`/introspect` (RFC 7662). Form bodies in, RFC-shaped JSON out; the rules are `Booth`'s, the
same ones `/login`, `/refresh` and `/logout` use (one code path, two front doors)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from auth_service.addresses import client_address
from auth_service.clients import InvalidClient, OAuthClient
from auth_service.errors import InvalidCredentials, InvalidRefreshToken, InvalidScope, Throttled
from auth_service.state import app_state
from auth_service.views import token_response
from shared.errors import LanyardError, Unavailable
from shared.logs import REQUEST_ID
from shared.web.bodies import BodyTooLarge, read_body

__all__ = ["OAuthError", "introspect", "revoke", "token"]

FORM = "application/x-www-form-urlencoded"
FORM_LIMIT = 64 * 1024
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_TITLES = {400: "Bad Request", 401: "Unauthorized", 429: "Too Many Requests"}
_TITLES[503] = "Service Unavailable"


class OAuthError(LanyardError):
    """An error RFC 6749 5.2 names (`error`), with the status it goes out with."""

    def __init__(
        self,
        error: str,
        detail: str,
        *,
        status: int = 400,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.error = error
        self.status = status
        self.headers = dict(headers or {})


def oauth_error(exc: OAuthError) -> Response:
    """The RFC's JSON error (`error`, `error_description`), plus `status`, `title` and the
    request's id, as every Lanyard error carries them."""
    body: dict[str, object] = {
        "error": exc.error,
        "error_description": exc.detail,
        "status": exc.status,
        "title": _TITLES.get(exc.status, "Error"),
    }
    request_id = REQUEST_ID.get()
    if request_id is not None:
        body["request_id"] = request_id
    return JSONResponse(body, status_code=exc.status, headers={**NO_STORE, **exc.headers})


_BASIC = {"WWW-Authenticate": 'Basic realm="lanyard"'}


def _as_oauth(exc: LanyardError) -> OAuthError:
    """What a rule's refusal is called at the token endpoint."""
    if isinstance(exc, InvalidClient):
        return OAuthError("invalid_client", exc.detail, status=401, headers=_BASIC)
    if isinstance(exc, InvalidCredentials | InvalidRefreshToken):
        return OAuthError("invalid_grant", exc.detail)
    if isinstance(exc, InvalidScope):
        return OAuthError("invalid_scope", exc.detail)
    if isinstance(exc, Throttled):
        retry = {"Retry-After": str(exc.retry_after)}
        return OAuthError("temporarily_unavailable", exc.detail, status=429, headers=retry)
    if isinstance(exc, Unavailable):
        retry = {"Retry-After": str(exc.retry_after)}
        return OAuthError("temporarily_unavailable", exc.detail, status=503, headers=retry)
    return OAuthError("invalid_request", exc.detail)


async def _form(request: Request) -> dict[str, str]:
    """The urlencoded body as parameters; `invalid_request` for anything else (another
    media type, not UTF-8, too large, a parameter given twice)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != FORM:
        raise OAuthError("invalid_request", f"the body must be {FORM}")
    try:
        raw = await read_body(request, FORM_LIMIT)
        text = raw.decode("utf-8")
    except BodyTooLarge as exc:
        raise OAuthError("invalid_request", f"the body is over {FORM_LIMIT} bytes") from exc
    except UnicodeDecodeError as exc:
        raise OAuthError("invalid_request", "the body is not UTF-8") from exc
    except LanyardError as exc:
        raise OAuthError("invalid_request", exc.detail) from exc
    pairs = parse_qsl(text, keep_blank_values=True, errors="strict")
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise OAuthError("invalid_request", f"the parameter {name} is given twice")
        form[name] = value
    return form


def _basic(request: Request) -> tuple[str, str] | None:
    """`client_secret_basic`: the id and secret of an `Authorization: Basic` header."""
    values = request.headers.getlist("authorization")
    if not values:
        return None
    scheme, _, encoded = values[0].partition(" ")
    if len(values) > 1 or scheme.lower() != "basic":
        raise InvalidClient("send client credentials once, with the Basic scheme")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidClient("the Basic credentials are not base64 of UTF-8") from exc
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise InvalidClient("the Basic credentials are not id:secret")
    # RFC 6749 2.3.1: both are form-urlencoded before they are joined.
    return unquote_plus(client_id), unquote_plus(secret)


def _client(
    request: Request, form: Mapping[str, str], *, required: bool = True
) -> OAuthClient | None:
    """The authenticated client: Basic, or `client_id` (+ `client_secret`) in the body."""
    basic = _basic(request)
    if basic is not None and (
        "client_secret" in form or ("client_id" in form and form["client_id"] != basic[0])
    ):
        raise OAuthError("invalid_request", "use one client authentication method")
    client_id, secret = (
        basic if basic is not None else (form.get("client_id"), form.get("client_secret"))
    )
    if client_id is None and not required:
        return None
    return app_state(request).clients.authenticate(client_id, secret)


def _required(form: Mapping[str, str], *names: str) -> list[str]:
    missing = [name for name in names if not form.get(name)]
    if missing:
        raise OAuthError("invalid_request", f"missing parameter: {', '.join(missing)}")
    return [form[name] for name in names]


async def token(request: Request) -> Response:
    """RFC 6749 3.2: `grant_type=password` or `refresh_token`."""
    try:
        form = await _form(request)
        client = _client(request, form)
        assert client is not None
        booth = app_state(request).booth
        grant = _required(form, "grant_type")[0]
        scope = form.get("scope")
        if grant == "password":
            username, password = _required(form, "username", "password")
            pair = await booth.login(
                username,
                password,
                client_address(request),
                scope=scope,
                client_id=client.client_id,
                device_token=form.get("device_token"),
            )
        elif grant == "refresh_token":
            [refresh] = _required(form, "refresh_token")
            pair = await booth.refresh(refresh, scope=scope, client_id=client.client_id)
        else:
            raise OAuthError(
                "unsupported_grant_type", "grant_type must be password or refresh_token"
            )
    except OAuthError as exc:
        return oauth_error(exc)
    except LanyardError as exc:
        return oauth_error(_as_oauth(exc))
    return token_response(pair, oauth=True)


async def revoke(request: Request) -> Response:
    """RFC 7009: 200 whether or not the token was known (nothing tells a prober)."""
    try:
        form = await _form(request)
        _client(request, form, required=False)
        [value] = _required(form, "token")
        await app_state(request).booth.revoke(value, form.get("token_type_hint"))
    except OAuthError as exc:
        return oauth_error(exc)
    except LanyardError as exc:
        return oauth_error(_as_oauth(exc))
    return Response(status_code=200, headers=NO_STORE)


async def introspect(request: Request) -> Response:
    """RFC 7662, for confidential clients only: `active` and the token's claims."""
    try:
        form = await _form(request)
        client = _client(request, form)
        if client is None or not client.confidential:
            raise InvalidClient("introspection is for confidential clients")
        [value] = _required(form, "token")
        claims = await app_state(request).booth.introspect(value)
    except OAuthError as exc:
        return oauth_error(exc)
    except InvalidClient as exc:
        return oauth_error(OAuthError("invalid_client", exc.detail, status=401, headers=_BASIC))
    except LanyardError as exc:
        return oauth_error(_as_oauth(exc))
    if claims is None:
        return JSONResponse({"active": False}, headers=NO_STORE)
    body: dict[str, Any] = {
        "active": True,
        "token_type": "Bearer",
        "username": claims.sub,
        **{
            name: claims.raw[name]
            for name in ("iss", "sub", "aud", "scope", "client_id", "exp", "iat", "nbf", "jti")
            if name in claims.raw
        },
        "sid": claims.sid,
        "tier": claims.tier,
    }
    return JSONResponse(body, headers=NO_STORE)
