"""The access token's claims (RFC 9068), written and read in one place.

`issue_claims` is what the booth signs (and what test minters start from); `read_claims`
is what the verifier accepts. Both sides spell each claim here and nowhere else.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from typing import Any

from shared.tokens.errors import ExpiredToken, InvalidAudience, InvalidClaim, InvalidIssuer

__all__ = [
    "ACCESS_TOKEN_TYPE",
    "ACCESS_TOKEN_TYPES",
    "AccessClaims",
    "ClaimsPolicy",
    "issue_claims",
    "read_claims",
]

ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 - a media type, not a secret
# RFC 9068 4: `typ` is compared case-insensitively; the media-type spelling is accepted too.
ACCESS_TOKEN_TYPES = frozenset({ACCESS_TOKEN_TYPE, f"application/{ACCESS_TOKEN_TYPE}"})


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What a verified access token says about its bearer."""

    sub: str
    scopes: frozenset[str]
    tier: str
    exp: float
    jti: str | None = None
    iat: float = 0.0
    sid: str | None = None
    """The session (refresh chain) the token came from: revoking it revokes the token."""
    kid: str = ""
    """The key that signed it."""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def issue_claims(
    *,
    issuer: str,
    audience: str,
    subject: str,
    scope: str,
    tier: str,
    issued_at: int,
    lifetime: int,
    client_id: str,
    jti: str | None = None,
    sid: str | None = None,
) -> dict[str, Any]:
    """The claims of a new access token, as the booth signs them."""
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": subject,
        "aud": audience,
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + lifetime,
        "jti": jti or uuid.uuid4().hex,
        "client_id": client_id,
        "scope": scope,
        "tier": tier,
    }
    if sid is not None:
        claims["sid"] = sid
    return claims


@dataclass(frozen=True, slots=True)
class ClaimsPolicy:
    """What the verifier demands of the claims: who issued them, for whom, how long."""

    issuer: str
    audience: str
    leeway: float = 30.0
    max_lifetime: float = 3600.0


def _optional_number(claims: dict[str, Any], name: str) -> float | None:
    if name not in claims:
        return None
    value = claims[name]
    # JSON gives exactly int or float (never bool, which is no number here).
    if type(value) is float:
        number = value
    elif type(value) is int:
        try:
            number = float(value)
        except OverflowError:  # a JSON integer too large for a float, e.g. 400 digits
            number = math.inf
    else:
        raise InvalidClaim(f"the access token's {name} claim must be a number")
    if not math.isfinite(number):
        raise InvalidClaim(f"the access token's {name} claim must be a number")
    return number


def _number(claims: dict[str, Any], name: str) -> float:
    value = _optional_number(claims, name)
    if value is None:
        raise InvalidClaim(f"the access token has no {name} claim")
    return value


def read_claims(
    claims: dict[str, Any], policy: ClaimsPolicy, now: float, *, kid: str = ""
) -> AccessClaims:
    """`claims` as `AccessClaims`, or the `TokenError` that says why they are refused."""
    if claims.get("iss") != policy.issuer:
        raise InvalidIssuer()
    aud = claims.get("aud")
    if not (aud == policy.audience or (isinstance(aud, list) and policy.audience in aud)):
        raise InvalidAudience()
    exp = _number(claims, "exp")
    iat = _number(claims, "iat")
    nbf = _optional_number(claims, "nbf")
    if now > exp + policy.leeway:
        raise ExpiredToken()
    if iat > now + policy.leeway or (nbf is not None and nbf > now + policy.leeway):
        raise InvalidClaim("the access token is not valid yet")
    if exp - iat > policy.max_lifetime:
        raise InvalidClaim("the access token's lifetime is too long")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise InvalidClaim("the access token has no subject")
    scope = claims.get("scope", "")
    tier = claims.get("tier", "free")
    jti, sid = claims.get("jti"), claims.get("sid")
    if not isinstance(scope, str) or not isinstance(tier, str):
        raise InvalidClaim("the access token's scope or tier is invalid")
    if (jti is not None and not isinstance(jti, str)) or (
        sid is not None and not isinstance(sid, str)
    ):
        raise InvalidClaim("the access token's jti or sid is invalid")
    return AccessClaims(
        sub=sub,
        scopes=frozenset(scope.split()),
        tier=tier,
        exp=exp,
        jti=jti,
        iat=iat,
        sid=sid,
        kid=kid,
        raw=claims,
    )
