"""Test helpers: a token minter with its own RSA key, a JWKS endpoint fake, free ports.

For tests only: nothing in the services imports this module.
"""

from __future__ import annotations

import base64
import json
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.jwks import public_jwk

__all__ = ["FakeClock", "JWKSFake", "TokenMinter", "free_port", "port_open", "public_jwk"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (yet)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:`port`."""
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class FakeClock:
    """A clock that moves only when told to."""

    now: float = field(default_factory=time.time)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


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
        now = int(self.clock())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": sub,
            "aud": self.audience,
            "iat": now,
            "exp": now + 900,
            "jti": uuid.uuid4().hex,
            "scope": "cats:read cats:write",
            "tier": "free",
        }
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
        headers: dict[str, Any] = {"typ": "at+jwt", "kid": self.kid}
        headers.update(header or {})
        headers = {k: v for k, v in headers.items() if v is not None}
        return jwt.encode(self.claims(sub, **claims), self.key, algorithm="RS256", headers=headers)

    @staticmethod
    def unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
        """A token assembled by hand, for shapes no library would sign."""

        def seg(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

        return ".".join(
            [seg(json.dumps(header).encode()), seg(json.dumps(claims).encode()), seg(signature)]
        )


class JWKSFake:
    """An httpx transport that serves a JWKS and counts requests; it can be told to fail."""

    def __init__(self, *jwks: dict[str, str], max_age: int = 300) -> None:
        self.keys: list[dict[str, str]] = list(jwks)
        self.max_age = max_age
        self.requests = 0
        self.mode = "ok"
        """One of: ok, error (500), garbage (200 with non-JSON), down (connection refused)."""

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.mode == "down":
            raise httpx.ConnectError("connection refused", request=request)
        if self.mode == "error":
            return httpx.Response(500, text="boom")
        if self.mode == "garbage":
            return httpx.Response(200, content=b"\x00not json{")
        return httpx.Response(
            200,
            json={"keys": self.keys},
            headers={"Cache-Control": f"public, max-age={self.max_age}"},
        )

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)
