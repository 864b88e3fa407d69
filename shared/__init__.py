"""Lanyard's shared library: what the auth booth and the vending machine both need.

Token verification, the async JWKS cache, problem+json errors, settings helpers and
canonical usernames. Test helpers live in `shared.testing`.
"""

from shared.bodies import read_body, read_json_object, replay_request
from shared.errors import (
    BadRequest,
    Conflict,
    HTTPProblem,
    LanyardError,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    UnprocessableContent,
    UnsupportedMediaType,
    problem_handlers,
    problem_response,
)
from shared.jwks import CachePolicy, JWKSCache, JWKSError, parse_jwks
from shared.settings import Secret, SettingsError
from shared.tokens import AccessClaims, TokenError, TokenVerifier
from shared.usernames import InvalidUsername, canonical_username

__all__ = [
    "AccessClaims",
    "BadRequest",
    "CachePolicy",
    "Conflict",
    "HTTPProblem",
    "InvalidUsername",
    "JWKSCache",
    "JWKSError",
    "LanyardError",
    "NotFound",
    "PayloadTooLarge",
    "Secret",
    "ServiceUnavailable",
    "SettingsError",
    "TokenError",
    "TokenVerifier",
    "UnprocessableContent",
    "UnsupportedMediaType",
    "canonical_username",
    "parse_jwks",
    "problem_handlers",
    "problem_response",
    "read_body",
    "read_json_object",
    "replay_request",
]
