"""A fake of the booth's published documents (the JWKS and the revocation list), as an
httpx transport."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from shared.tokens.jws import sign
from shared.tokens.revocations import REVOCATIONS_TYPE, revocations_payload

if TYPE_CHECKING:
    from tests.support.tokens import TokenMinter

__all__ = ["JWKSFake"]


class JWKSFake:
    """An httpx transport that serves a JWKS and counts requests; it can be told to fail.

    Given the minter whose key it publishes (`signer`), it also serves a revocation list
    signed with that key at any path ending in `revocations.jwt`, naming what the test put
    in `revoked_sids`, `revoked_jtis`, `revoked_kids` and `revoked_subs`.
    """

    def __init__(
        self, *jwks: dict[str, str], max_age: int = 300, signer: TokenMinter | None = None
    ) -> None:
        self.keys: list[dict[str, str]] = list(jwks)
        self.max_age = max_age
        self.signer = signer
        self.requests = 0
        self.revocation_requests = 0
        self.mode = "ok"
        """One of: ok, error (500), garbage (200 with non-JSON), down (connection refused)."""
        self.revoked_sids: set[str] = set()
        self.revoked_jtis: set[str] = set()
        self.revoked_kids: set[str] = set()
        self.revoked_subs: dict[str, float] = {}

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("revocations.jwt"):
            return self._revocations()
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

    def _revocations(self) -> httpx.Response:
        self.revocation_requests += 1
        if self.signer is None:
            return httpx.Response(404, text="no revocation list here")
        payload = revocations_payload(
            issuer=self.signer.issuer,
            issued_at=int(self.signer.clock()),
            lifetime=600,
            sids=list(self.revoked_sids),
            jtis=list(self.revoked_jtis),
            kids=list(self.revoked_kids),
            subs=self.revoked_subs,
        )
        header = {"kid": self.signer.kid, "typ": REVOCATIONS_TYPE}
        return httpx.Response(
            200,
            content=sign(header, payload, self.signer.key).encode("ascii"),
            headers={"Cache-Control": "public, max-age=5", "Content-Type": "application/jwt"},
        )

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)
