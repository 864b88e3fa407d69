"""Bearer authentication: turns `Authorization: Bearer <token>` into a user with scopes.

Routes never parse headers; they ask `require(request, scope)` for the caller.
"""

from __future__ import annotations

from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
)
from starlette.requests import HTTPConnection
from starlette.responses import Response

from shared.errors import problem_response
from shared.tokens import AccessClaims, TokenError, TokenVerifier

__all__ = ["BearerBackend", "BearerUser", "NotAuthenticated", "bearer_error", "require"]

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


def bearer_error(conn: HTTPConnection, exc: Exception) -> Response:
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


def _route_path(conn: HTTPConnection) -> str:
    path: str = conn.scope["path"]
    root: str = conn.scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


class BearerBackend(AuthenticationBackend):
    """Verifies the bearer token with the shared verifier; never calls the auth service.

    The verifier belongs to the app's lifespan and is read from the connection's state.
    """

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        if _route_path(conn) in PUBLIC_PATHS:
            return None
        if "access_token" in conn.query_params:
            raise BearerError(400, "invalid_request", "send the token in the Authorization header")
        values = conn.headers.getlist("authorization")
        if not values:
            return None
        if len(values) > 1:
            raise BearerError(400, "invalid_request", "send exactly one Authorization header")
        scheme, _, token = values[0].partition(" ")
        if scheme.lower() != "bearer":
            return None
        if not token or " " in token:
            raise BearerError(401, "invalid_token", "the access token is malformed")
        try:
            verifier: TokenVerifier = conn.state.verifier
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
