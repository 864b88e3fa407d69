"""Bearer authentication: turns `Authorization: Bearer <token>` into a user with scopes.

Routes never parse headers; they ask `require(request, scope)` for the caller.
"""

from __future__ import annotations

import functools
from urllib.parse import parse_qsl

from starlette.authentication import (
    AuthCredentials,
    AuthenticationError,
    BaseUser,
    UnauthenticatedUser,
)
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.errors import problem_response
from shared.tokens import AccessClaims, TokenError, TokenVerifier

__all__ = ["BearerAuthentication", "BearerUser", "NotAuthenticated", "bearer_error", "require"]

REALM = "lanyard"
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/openapi.json"})


class BearerUser(BaseUser):
    def __init__(self, claims: AccessClaims) -> None:
        self.claims = claims

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.claims.sub

    @property
    def identity(self) -> str:
        return self.claims.sub


class BearerError(AuthenticationError):
    """An RFC 6750 error: its status, error code and a description safe to show."""

    def __init__(self, status: int, error: str | None, description: str, scope: str = "") -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.scope = scope


class NotAuthenticated(BearerError):
    """No bearer token came with a request that needs one."""

    def __init__(self) -> None:
        super().__init__(401, None, "a bearer access token is required")


class InsufficientScope(BearerError):
    def __init__(self, scope: str) -> None:
        super().__init__(403, "insufficient_scope", f"the access token lacks {scope}", scope)


def _challenge(exc: BearerError) -> str:
    parts = [f'Bearer realm="{REALM}"']
    if exc.error:
        parts.append(f'error="{exc.error}"')
        parts.append(f'error_description="{exc.description}"')
    if exc.scope:
        parts.append(f'scope="{exc.scope}"')
    return ", ".join(parts)


def bearer_error(exc: Exception) -> Response:
    """The answer to a refused credential: problem+json plus a `WWW-Authenticate` challenge."""
    if not isinstance(exc, BearerError):
        exc = BearerError(401, "invalid_token", "the access token is invalid")
    title = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden"}[exc.status]
    extensions = {"error": exc.error} if exc.error else {}
    return problem_response(
        exc.status,
        title,
        exc.description,
        headers={"WWW-Authenticate": _challenge(exc)},
        **extensions,
    )


def _anonymous() -> tuple[AuthCredentials, BaseUser]:
    return AuthCredentials(), UnauthenticatedUser()


@functools.lru_cache(maxsize=64)
def _refusal(
    status: int, error: str | None, description: str, scope: str
) -> tuple[int, tuple[tuple[bytes, bytes], ...], bytes]:
    """`bearer_error`'s answer as ASGI parts. Every description is one of the code's own
    sentences (never the client's words), so few distinct answers exist."""
    response = bearer_error(BearerError(status, error, description, scope))
    return response.status_code, tuple(response.raw_headers), bytes(response.body)


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _names_access_token(query_string: bytes) -> bool:
    """Whether the query has an `access_token` parameter (RFC 6750 2.3, which we refuse)."""
    # Parse only when the parameter could be there: spelled out, or percent-encoded.
    if b"access_token" not in query_string and b"%" not in query_string:
        return False
    return any(
        name == "access_token"
        for name, _ in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    )


class BearerAuthentication:
    """Turns `Authorization: Bearer <token>` into `scope["user"]`, or answers the refusal.

    What Starlette's `AuthenticationMiddleware` does with a backend, as one pure ASGI layer
    reading the raw headers: this runs on every request. Verification is the shared
    verifier's, read from the app's lifespan state; the auth service is never called.
    A request without a bearer token passes on as anonymous: routes that need a caller
    ask `require()`, which answers 401.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            scope["auth"], scope["user"] = await self._authenticate(scope)
        except BearerError as exc:
            # A refusal must cost no more than a served request: its answer is made once.
            status, headers, body = _refusal(exc.status, exc.error, exc.description, exc.scope)
            await send({"type": "http.response.start", "status": status, "headers": [*headers]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)

    async def _authenticate(self, scope: Scope) -> tuple[AuthCredentials, BaseUser]:
        if _route_path(scope) in PUBLIC_PATHS:
            return _anonymous()
        if _names_access_token(scope["query_string"]):
            raise BearerError(400, "invalid_request", "send the token in the Authorization header")
        values = [value for name, value in scope["headers"] if name == b"authorization"]
        if not values:
            return _anonymous()
        if len(values) > 1:
            raise BearerError(400, "invalid_request", "send exactly one Authorization header")
        scheme, _, token = values[0].decode("latin-1").partition(" ")
        if scheme.lower() != "bearer":
            return _anonymous()
        if not token or " " in token:
            raise BearerError(401, "invalid_token", "the access token is malformed")
        try:
            verifier: TokenVerifier = scope["state"]["verifier"]
            claims = await verifier.verify(token)
        except TokenError as exc:
            raise BearerError(401, "invalid_token", exc.description) from exc
        return AuthCredentials(sorted(claims.scopes)), BearerUser(claims)


def require(conn: HTTPConnection, scope: str | None = None) -> AccessClaims:
    """The caller's claims, or a 401 (no token) / 403 (token without `scope`)."""
    user = conn.user
    if not isinstance(user, BearerUser):
        raise NotAuthenticated()
    if scope is not None and scope not in user.claims.scopes:
        raise InsufficientScope(scope)
    return user.claims
