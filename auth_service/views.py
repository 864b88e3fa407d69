"""How the booth's answers look on the wire: token responses, documents, problems."""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.responses import JSONResponse, Response

from auth_service.booth import TokenPair
from auth_service.errors import InvalidCredentials, InvalidRefreshToken, Throttled
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


def token_response(pair: TokenPair) -> Response:
    """The OAuth 2.0 token response (RFC 6749 5.1), never cached."""
    body = {
        "access_token": pair.access_token,
        "token_type": "Bearer",
        "expires_in": pair.expires_in,
        "refresh_token": pair.refresh_token,
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def metadata_document(settings: AuthSettings) -> bytes:
    """The RFC 8414 authorization server metadata, as compact JSON."""
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
    return json.dumps(document, separators=(",", ":")).encode("utf-8")
