"""A token minter with its own RSA key: access tokens as the booth makes them, or not."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from shared.tokens.claims import ACCESS_TOKEN_TYPE, issue_claims
from shared.tokens.jwk import public_jwk
from shared.tokens.jws import b64url_encode, sign

__all__ = ["TokenMinter"]


class TokenMinter:
    """Mints access tokens as the auth service would, with any header or claim overridden."""

    def __init__(
        self,
        *,
        issuer: str = "http://auth.test",
        audience: str = "lanyard-vending",
        kid: str = "test-key",
        key: rsa.RSAPrivateKey | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.kid = kid
        self.key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.clock = clock

    @property
    def jwk(self) -> dict[str, str]:
        return public_jwk(self.key.public_key(), self.kid)

    def claims(self, sub: str | None = "alice", **overrides: Any) -> dict[str, Any]:
        """The booth's claims for `sub` (free tier, both scopes, 15 minutes), overridden;
        a value of None removes a claim."""
        claims = issue_claims(
            issuer=self.issuer,
            audience=self.audience,
            subject=sub or "",
            scope="cats:read cats:write",
            tier="free",
            issued_at=int(self.clock()),
            lifetime=900,
            client_id="lanyard-web",
        )
        if sub is None:
            overrides.setdefault("sub", None)
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def mint(
        self,
        sub: str | None = "alice",
        *,
        header: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        """A signed token; a claim or header value of None removes it."""
        headers: dict[str, Any] = {"typ": ACCESS_TOKEN_TYPE, "kid": self.kid}
        headers.update(header or {})
        headers = {k: v for k, v in headers.items() if v is not None}
        return sign(headers, self.claims(sub, **claims), self.key)

    @staticmethod
    def claims_of(token: str) -> dict[str, Any]:
        """The claims of `token`, unverified (for tests that look at what was issued)."""
        return _segment(token.split(".")[1])

    @staticmethod
    def header_of(token: str) -> dict[str, Any]:
        """The header of `token`, unverified."""
        return _segment(token.split(".")[0])

    @staticmethod
    def unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
        """A token assembled by hand, for shapes no library would sign."""
        return ".".join(
            [
                b64url_encode(json.dumps(header).encode()),
                b64url_encode(json.dumps(claims).encode()),
                b64url_encode(signature),
            ]
        )


def _segment(segment: str) -> dict[str, Any]:
    value = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    assert isinstance(value, dict)
    return value
