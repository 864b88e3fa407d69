"""How the booth's answers look on the wire: token responses, documents, problems."""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.responses import JSONResponse, Response

from auth_service.errors import InvalidCredentials, InvalidRefreshToken, Throttled
from auth_service.issuer import TokenPair
from auth_service.settings import AuthSettings
from shared.web.problems import COMMON_PROBLEMS, Problem, Problems

__all__ = ["PROBLEMS", "metadata_document", "token_response"]


def _retry_after(exc: Throttled) -> Mapping[str, str]:
    return {"Retry-After": str(exc.retry_after)}


def _retry_member(exc: Throttled) -> Mapping[str, object]:
    return {"retry_after": exc.retry_after}


PROBLEMS: Problems = {
    **COMMON_PROBLEMS,
    InvalidCredentials: Problem(401, "Unauthorized"),
    InvalidRefreshToken: Problem(401, "Unauthorized"),
    Throttled: Problem(429, "Too Many Requests", headers=_retry_after, extensions=_retry_member),
}
"""Every error the booth answers with, and what it becomes."""


def token_response(pair: TokenPair, *, oauth: bool = False) -> Response:
    """The OAuth 2.0 token response (RFC 6749 5.1), never cached; `/token` also says the
    granted `scope` (the contract's JSON `/login` answer stays as it was); a password
    login's answer carries its `device_token`."""
    body: dict[str, object] = {
        "access_token": pair.access_token,
        "token_type": "Bearer",
        "expires_in": pair.expires_in,
        "refresh_token": pair.refresh_token,
    }
    if oauth:
        body["scope"] = pair.scope
    if pair.device_token is not None:
        body["device_token"] = pair.device_token
    return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def metadata_document(settings: AuthSettings) -> bytes:
    """The RFC 8414 authorization server metadata, as compact JSON."""
    issuer = settings.issuer
    methods = ["none", "client_secret_basic", "client_secret_post"]
    document = {
        "issuer": issuer,
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "token_endpoint": f"{issuer}/token",
        "revocation_endpoint": f"{issuer}/revoke",
        "introspection_endpoint": f"{issuer}/introspect",
        "grant_types_supported": ["password", "refresh_token"],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": methods,
        "revocation_endpoint_auth_methods_supported": methods,
        "introspection_endpoint_auth_methods_supported": methods[1:],
        "scopes_supported": list(settings.default_scopes),
        "service_documentation": f"{issuer}/openapi.json",
    }
    return json.dumps(document, separators=(",", ":")).encode("utf-8")
