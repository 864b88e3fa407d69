"""Bearer authentication (RFC 6750): `Authorization: Bearer <token>` becomes a caller.

One pure ASGI layer reads the raw headers of every request and puts the caller in
`scope["user"]`; routes never parse headers, they ask `require(request, scope)`. What turns
a request into a caller is a function (`Authenticate`), by default `verify_bearer`, which
checks the token with the app's own `TokenVerifier`: the auth service is never called.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from starlette.authentication import AuthCredentials, BaseUser, UnauthenticatedUser
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.errors import LanyardError, Unavailable
from shared.tokens.claims import AccessClaims
from shared.tokens.errors import MalformedToken, TokenError
from shared.web.problems import Problems, problem_for
from vending_service.state import STATE_KEY, VendingState

__all__ = [
    "Authenticate",
    "BearerAuthentication",
    "BearerError",
    "BearerUser",
    "InsufficientScope",
    "InvalidRequest",
    "InvalidToken",
    "KeysNotReady",
    "NotAuthenticated",
    "RevocationsStale",
    "challenge",
    "require",
    "verify_bearer",
]

REALM = "lanyard"
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json"})
"""Paths that take no token; so do signed image URLs (`/cats/<id>/image`, see `_is_public`)."""

Authenticate = Callable[[Scope], Awaitable[AccessClaims | None]]
"""Who is calling: their claims, None for nobody, or a `BearerError` to refuse."""


class BearerUser(BaseUser):
    """A caller whose access token was accepted."""

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


class BearerError(LanyardError):
    """A refused credential; `error` is its RFC 6750 error code, if it has one."""

    error: str | None = None
    scope = ""


class NotAuthenticated(BearerError):
    """No bearer token came with a request that needs one."""

    detail = "a bearer access token is required"


class InvalidToken(BearerError):
    """The token was refused (the detail says why, in the token library's words)."""

    error = "invalid_token"
    detail = "the access token is invalid"


class InvalidRequest(BearerError):
    """The credentials are sent in a way RFC 6750 does not allow here."""

    error = "invalid_request"


class InsufficientScope(BearerError):
    """The token is good but lacks the scope this route needs."""

    error = "insufficient_scope"

    def __init__(self, scope: str) -> None:
        super().__init__(f"the access token lacks {scope}")
        self.scope = scope


class KeysNotReady(Unavailable):
    """No key set was ever fetched: a token cannot be judged yet (it may be fine)."""

    detail = "the service has not fetched the signing keys yet; try again shortly"


class RevocationsStale(Unavailable):
    """In the `closed` fail mode, no revocation list was had for too long: no token is
    accepted until one is."""

    detail = "the service cannot check revocations now; try again shortly"


def challenge(exc: BearerError) -> str:
    """The `WWW-Authenticate` value for a refusal."""
    parts = [f'Bearer realm="{REALM}"']
    if exc.error:
        parts.append(f'error="{exc.error}"')
        parts.append(f'error_description="{exc.detail}"')
    if exc.scope:
        parts.append(f'scope="{exc.scope}"')
    return ", ".join(parts)


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _is_public(path: str) -> bool:
    """Whether `path` is answered without a token: health, the OpenAPI document, and images
    (their signed URL is the credential; a token sent with one is not even read)."""
    if path in PUBLIC_PATHS:
        return True
    return path.startswith("/cats/") and path.endswith("/image") and path.count("/") == 3


def _names_access_token(query_string: bytes) -> bool:
    """Whether the query has an `access_token` parameter (RFC 6750 2.3, which we refuse)."""
    # Parse only when the parameter could be there: spelled out, or percent-encoded.
    if b"access_token" not in query_string and b"%" not in query_string:
        return False
    return any(
        name == "access_token"
        for name, _ in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    )


async def verify_bearer(scope: Scope) -> AccessClaims | None:
    """The caller of a request with one `Authorization: Bearer` header, checked with the
    app's `TokenVerifier` and counted by outcome; None without bearer credentials."""
    if _names_access_token(scope["query_string"]):
        raise InvalidRequest("send the token in the Authorization header")
    values = [value for name, value in scope["headers"] if name == b"authorization"]
    if not values:
        return None
    if len(values) > 1:
        raise InvalidRequest("send exactly one Authorization header")
    scheme, _, token = values[0].decode("latin-1").partition(" ")
    if scheme.lower() != "bearer":
        return None
    state: VendingState = scope["state"][STATE_KEY]
    count = state.metrics.token_verifications
    if not token or " " in token:
        count(MalformedToken.reason)
        raise InvalidToken(MalformedToken.description)
    if not state.jwks.ready:
        raise KeysNotReady()
    if state.refuses_all_tokens():
        raise RevocationsStale()
    try:
        claims = await state.verifier.verify(token)
    except TokenError as exc:
        count(exc.reason)
        raise InvalidToken(exc.description) from exc
    count("valid")
    return claims


class BearerAuthentication:
    """Puts the caller in `scope["user"]` (and `scope["auth"]`), or answers the refusal.

    What Starlette's `AuthenticationMiddleware` does with a backend, as one pure ASGI layer
    reading the raw headers: this runs on every request. A request without credentials
    passes on as anonymous; routes that need a caller ask `require()`.
    """

    def __init__(
        self, app: ASGIApp, *, problems: Problems, authenticate: Authenticate = verify_bearer
    ) -> None:
        self.app = app
        self.problems = problems
        self.authenticate = authenticate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            claims = None if _is_public(_route_path(scope)) else await self.authenticate(scope)
        except (BearerError, Unavailable) as exc:
            problem = problem_for(self.problems, exc)
            if problem is None:  # every refusal has an entry: a missing one is a bug here
                raise
            await problem.response(exc)(scope, receive, send)
            return
        if claims is None:
            scope["auth"], scope["user"] = AuthCredentials(), UnauthenticatedUser()
        else:
            scope["auth"], scope["user"] = (
                AuthCredentials(sorted(claims.scopes)),
                BearerUser(claims),
            )
        await self.app(scope, receive, send)


def require(connection: HTTPConnection, scope: str | None = None) -> AccessClaims:
    """The caller's claims; `NotAuthenticated` (no token) or `InsufficientScope`."""
    user = connection.user
    if not isinstance(user, BearerUser):
        raise NotAuthenticated()
    if scope is not None and scope not in user.claims.scopes:
        raise InsufficientScope(scope)
    return user.claims
