"""A fake of the booth's JWKS endpoint, as an httpx transport."""

from __future__ import annotations

import httpx

__all__ = ["JWKSFake"]


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
