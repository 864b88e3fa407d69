"""Why a token or a key set is refused: one tree under `TokenError`, each class a reason.

`description` is a sentence of the library's own, safe to show a client; the bearer layer
puts it in `WWW-Authenticate` and the problem body. `reason` is a short, fixed label for
metrics and logs.
"""

from __future__ import annotations

from shared.errors import LanyardError

__all__ = [
    "ExpiredToken",
    "InvalidAudience",
    "InvalidClaim",
    "InvalidIssuer",
    "InvalidSignature",
    "JWKSError",
    "MalformedToken",
    "RevokedToken",
    "TokenError",
    "UnknownKey",
    "UnsupportedHeader",
]


class TokenError(LanyardError):
    """Root of every reason a token is refused; `description` is safe to show a client."""

    description = "the access token is invalid"
    reason = "invalid"

    def __init__(self, description: str | None = None) -> None:
        super().__init__(description or self.description)
        if description:
            self.description = description
        self.detail = self.description


class MalformedToken(TokenError):
    """Not a compact JWS: wrong shape, not base64url, not JSON objects, or over 8 KiB."""

    description = "the access token is malformed"
    reason = "malformed"


class UnsupportedHeader(TokenError):
    """`alg` is not exactly RS256, `typ` is not the expected type, or a refused parameter
    (`jku`, `x5u`, `jwk`, `x5c`, `b64`, `crit`) is present."""

    description = "the access token's header is not accepted"
    reason = "unsupported_header"


class UnknownKey(TokenError):
    """`kid` is missing or names no key in the JWKS."""

    description = "the access token was signed by an unknown key"
    reason = "unknown_kid"


class InvalidSignature(TokenError):
    """The signature does not verify with the key `kid` names."""

    description = "the access token's signature is invalid"
    reason = "bad_signature"


class InvalidIssuer(TokenError):
    """`iss` is not the configured issuer."""

    description = "the access token has the wrong issuer"
    reason = "wrong_issuer"


class InvalidAudience(TokenError):
    """`aud` does not name this service."""

    description = "the access token is not meant for this service"
    reason = "wrong_audience"


class ExpiredToken(TokenError):
    """`exp` has passed (beyond the leeway)."""

    description = "the access token has expired"
    reason = "expired"


class InvalidClaim(TokenError):
    """A claim is missing, of the wrong type, in the future, or spans too long a lifetime."""

    description = "the access token's claims are invalid"
    reason = "invalid_claims"


class RevokedToken(TokenError):
    """The revocation list names the token, its session, its user (issued before a
    not-before time) or the key that signed it."""

    description = "the access token has been revoked"
    reason = "revoked"


class JWKSError(LanyardError):
    """The key set could not be fetched or is unusable."""
