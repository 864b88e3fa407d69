"""Access tokens, made and read back by their issuer: what the booth signs, and whether a
token handed to it (for revocation, for introspection) is one of its own, live."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import anyio
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from auth_service.accounts import User
from auth_service.errors import InvalidScope
from auth_service.keys import KeyRing
from auth_service.settings import AuthSettings
from shared.tokens.claims import ACCESS_TOKEN_TYPE, AccessClaims, ClaimsPolicy, issue_claims
from shared.tokens.errors import TokenError
from shared.tokens.jws import sign
from shared.tokens.verifier import TokenVerifier

__all__ = ["TokenIssuer", "TokenPair", "granted_scope"]


@dataclass(frozen=True, slots=True)
class TokenPair:
    """A new access token and the refresh token that renews it."""

    access_token: str
    expires_in: int
    refresh_token: str
    scope: str
    device_token: str | None = None
    """After a password login: the device token that makes this client a known device."""


def granted_scope(requested: str | None, allowed: str) -> str:
    """The scope to grant: all of `allowed` when nothing is asked for, else exactly what is
    asked, which must be a part of `allowed` (RFC 6749 3.3: down-scoping, never up)."""
    if requested is None:
        return allowed
    asked = requested.split(" ")
    if not requested or "" in asked or not set(asked) <= set(allowed.split()):
        raise InvalidScope()
    return " ".join(dict.fromkeys(asked))


class _OwnKeys:
    """The booth's own keys as a verifier's key source (public halves only)."""

    generation = 0

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring

    async def get(self, kid: str) -> RSAPublicKey | None:
        found = self.ring.opened(kid)
        return None if found is None else found.private_key.public_key()


class TokenIssuer:
    """Signs access tokens with the current key, and checks tokens of its own."""

    def __init__(
        self, settings: AuthSettings, keys: KeyRing, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.settings = settings
        self.keys = keys
        self.clock = clock
        # Our own tokens, checked as a verifier would (no leeway: "active" means live now).
        self._verifier = TokenVerifier(
            _OwnKeys(keys),
            ClaimsPolicy(
                settings.issuer,
                settings.audience,
                leeway=0,
                max_lifetime=settings.access_token_ttl,
            ),
            cache_size=0,
            clock=clock,
        )

    async def own_claims(self, token: str) -> AccessClaims | None:
        """The claims of a live access token this booth signed; None for anything else."""
        try:
            return await self._verifier.verify(token)
        except TokenError:
            return None

    async def issue(
        self, user: User, refresh_token: str, sid: str, scope: str, client_id: str | None
    ) -> TokenPair:
        """An access token for `user` in session `sid` with `scope`, beside `refresh_token`."""
        now = self.clock()
        claims = issue_claims(
            issuer=self.settings.issuer,
            audience=self.settings.audience,
            subject=user.username,
            scope=scope,
            tier=user.tier,
            issued_at=int(now),
            lifetime=self.settings.access_token_ttl,
            client_id=client_id or self.settings.client_id,
            sid=sid,
        )
        key = self.keys.signing(now)
        header = {"kid": key.kid, "typ": ACCESS_TOKEN_TYPE}
        # An RSA signature is a slice of CPU too long for the event loop: a worker thread.
        token = await anyio.to_thread.run_sync(lambda: sign(header, claims, key.private_key))
        return TokenPair(token, self.settings.access_token_ttl, refresh_token, scope)
