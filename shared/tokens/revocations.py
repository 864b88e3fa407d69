"""The revocation list (a JWT of its own, `typ` revocations+jwt), written and read here.

The booth publishes what is revoked the way it publishes keys, and every verifier fetches
it on its own schedule: a certificate revocation list for access tokens. It names revoked
sessions (`sid`, a refresh chain and every access token issued from it), tokens (`jti`),
keys (`kid`, retired: every token they signed) and per-user not-before times (`sub`: every
token issued before). Each entry is listed only while a token it refuses may still be valid,
so the list's size follows the revocations of the last access-token lifetime.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.tokens.claims import AccessClaims
from shared.tokens.errors import InvalidClaim, MalformedToken

__all__ = [
    "REVOCATIONS_TYPE",
    "REVOCATIONS_TYPES",
    "RevocationList",
    "read_revocations",
    "revocations_payload",
]

REVOCATIONS_TYPE = "revocations+jwt"
REVOCATIONS_TYPES = frozenset({REVOCATIONS_TYPE, f"application/{REVOCATIONS_TYPE}"})
_MAX_ID = 256


@dataclass(frozen=True, slots=True)
class RevocationList:
    """What is revoked, as sets and a map: every check is O(1)."""

    issued_at: float
    expires_at: float
    sids: frozenset[str] = frozenset()
    jtis: frozenset[str] = frozenset()
    kids: frozenset[str] = frozenset()
    subs: Mapping[str, float] = field(default_factory=dict)
    """Per user: tokens issued before this instant are revoked."""

    def refuses(self, claims: AccessClaims) -> bool:
        """Whether a token with these (already verified) claims is revoked."""
        not_before = self.subs.get(claims.sub)
        return (
            (claims.sid is not None and claims.sid in self.sids)
            or (claims.jti is not None and claims.jti in self.jtis)
            or claims.kid in self.kids
            or (not_before is not None and claims.iat < not_before)
        )

    def __len__(self) -> int:
        return len(self.sids) + len(self.jtis) + len(self.kids) + len(self.subs)


def revocations_payload(
    *,
    issuer: str,
    issued_at: int,
    lifetime: int,
    sids: list[str],
    jtis: list[str],
    kids: list[str],
    subs: Mapping[str, float],
) -> dict[str, Any]:
    """The claims of a revocation list, as the booth signs them (lists sorted, so every
    replica writes the same content)."""
    return {
        "iss": issuer,
        "iat": issued_at,
        "exp": issued_at + lifetime,
        "sids": sorted(sids),
        "jtis": sorted(jtis),
        "kids": sorted(kids),
        "subs": {sub: subs[sub] for sub in sorted(subs)},
    }


def _ids(payload: dict[str, Any], name: str) -> frozenset[str]:
    values = payload.get(name, [])
    if not isinstance(values, list) or not all(
        isinstance(v, str) and 0 < len(v) <= _MAX_ID for v in values
    ):
        raise MalformedToken(f"the revocation list's {name} must be a list of ids")
    return frozenset(values)


def _instant(value: object, name: str) -> float:
    if type(value) not in (int, float) or not math.isfinite(float(value)):  # type: ignore[arg-type]
        raise MalformedToken(f"the revocation list's {name} must be a number")
    return float(value)  # type: ignore[arg-type]


def read_revocations(payload: dict[str, Any], *, issuer: str, now: float) -> RevocationList:
    """A verified list's claims as a `RevocationList`; `TokenError` for any other shape, a
    foreign issuer, or a list past its `exp`."""
    if payload.get("iss") != issuer:
        raise InvalidClaim("the revocation list has the wrong issuer")
    issued_at, expires_at = _instant(payload.get("iat"), "iat"), _instant(payload.get("exp"), "exp")
    if expires_at <= now:
        raise InvalidClaim("the revocation list has expired")
    subs = payload.get("subs", {})
    if not isinstance(subs, dict) or not all(
        isinstance(k, str) and 0 < len(k) <= _MAX_ID for k in subs
    ):
        raise MalformedToken("the revocation list's subs must map users to instants")
    return RevocationList(
        issued_at=issued_at,
        expires_at=expires_at,
        sids=_ids(payload, "sids"),
        jtis=_ids(payload, "jtis"),
        kids=_ids(payload, "kids"),
        subs={sub: _instant(at, "subs") for sub, at in subs.items()},
    )
