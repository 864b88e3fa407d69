"""The booth's rules: register, log in, refresh and log out. No HTTP here.

Every rule of the booth lives in `Booth`: who may register, how a login is throttled, what
a token says, and what a refresh token presented twice means (theft: its chain is revoked).
Stores only keep and report; they decide nothing.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import anyio

from auth_service.accounts import AccountStore, RefreshRecord, Spent, User, hash_refresh_token
from auth_service.errors import InvalidCredentials, InvalidRefreshToken, UsernameTaken
from auth_service.keys import KeyRing
from auth_service.passwords import Passwords
from auth_service.revocations import Revoker
from auth_service.settings import AuthSettings
from auth_service.throttle import LoginThrottle
from shared.errors import StoreUnavailable
from shared.tokens.claims import ACCESS_TOKEN_TYPE, issue_claims
from shared.tokens.jws import sign
from shared.usernames import InvalidUsername, canonical_username

__all__ = ["Booth", "TokenPair"]

_MAX_REFRESH_TOKEN = 128


@dataclass(frozen=True, slots=True)
class TokenPair:
    """A new access token and the refresh token that renews it."""

    access_token: str
    expires_in: int
    refresh_token: str


class Booth:
    """Checks credentials and hands out tokens; keeps no sessions, only refresh chains."""

    def __init__(
        self,
        settings: AuthSettings,
        *,
        store: AccountStore,
        passwords: Passwords,
        throttle: LoginThrottle,
        keys: KeyRing,
        revoker: Revoker,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.store = store
        self.passwords = passwords
        self.throttle = throttle
        self.keys = keys
        self.revoker = revoker
        self.clock = clock

    async def register(self, raw_username: str, password: str) -> str:
        """Create an account; the canonical username. `UsernameTaken` if it exists."""
        username = canonical_username(raw_username)
        if username in self.settings.reserved_usernames:
            raise UsernameTaken()
        password_hash = await self.passwords.hash(password)
        user = User(
            username=username,
            password_hash=password_hash,
            tier="free",
            scopes=" ".join(self.settings.default_scopes),
            created_at=self.clock(),
        )
        await self.store.create_user(user)
        return username

    async def login(self, raw_username: str, password: str, address: str) -> TokenPair:
        """A token pair for the right password; throttled by failures (see `LoginThrottle`)."""
        try:
            username = canonical_username(raw_username)
        except InvalidUsername:
            username = ""  # can exist nowhere; still costs a hash and counts for the address
        # Counted as a failure at once: concurrent guesses cannot all pass the check.
        await self.throttle.attempt(username, address, self.clock())
        try:
            user = await self.store.get_user(username) if username else None
        except StoreUnavailable:
            # The store failed, not the password: an outage must not lock anyone out.
            await self.throttle.forgive(username, address)
            raise
        ok = await self.passwords.verify(user.password_hash if user else None, password)
        if not ok or user is None:
            raise InvalidCredentials()
        await self.throttle.succeeded(username, address)
        if self.passwords.needs_rehash(user.password_hash):
            await self.store.set_password_hash(username, await self.passwords.hash(password))
        refresh_token, record = self._new_refresh(username, family_id=uuid.uuid4().hex)
        await self.store.add_refresh(record)
        return await self._pair(user, refresh_token, record.family_id)

    async def refresh(self, refresh_token: str) -> TokenPair:
        """A new pair for a live refresh token, which is spent. A token presented a second
        time means it was stolen (or raced): its whole chain is revoked (OAuth 2.0 BCP)."""
        if not 0 < len(refresh_token) <= _MAX_REFRESH_TOKEN:
            raise InvalidRefreshToken()
        new_token, successor = self._new_refresh("", family_id="")
        now = self.clock()
        spend = await self.store.spend_refresh(hash_refresh_token(refresh_token), successor, now)
        if spend.outcome is Spent.REUSED:
            await self.store.revoke_family(spend.family_id, now)
            await self.revoker.session(spend.family_id)
        if spend.outcome is not Spent.FRESH:
            raise InvalidRefreshToken()
        user = await self.store.get_user(spend.username)
        if user is None:
            raise InvalidRefreshToken()
        return await self._pair(user, new_token, spend.family_id)

    async def logout(self, refresh_token: str) -> None:
        """Revoke the whole chain the token belongs to, and with it every access token it
        issued; unknown or spent tokens are fine."""
        if not 0 < len(refresh_token) <= _MAX_REFRESH_TOKEN:
            return
        family = await self.store.revoke_family_of(hash_refresh_token(refresh_token), self.clock())
        if family is not None:
            await self.revoker.session(family)

    def _new_refresh(self, username: str, *, family_id: str) -> tuple[str, RefreshRecord]:
        token = secrets.token_urlsafe(32)
        now = self.clock()
        record = RefreshRecord(
            token_hash=hash_refresh_token(token),
            family_id=family_id,
            username=username,
            issued_at=now,
            expires_at=now + self.settings.refresh_token_ttl,
        )
        return token, record

    async def _pair(self, user: User, refresh_token: str, sid: str) -> TokenPair:
        now = self.clock()
        claims = issue_claims(
            issuer=self.settings.issuer,
            audience=self.settings.audience,
            subject=user.username,
            scope=user.scopes,
            tier=user.tier,
            issued_at=int(now),
            lifetime=self.settings.access_token_ttl,
            client_id=self.settings.client_id,
            sid=sid,
        )
        key = self.keys.signing(now)
        header = {"kid": key.kid, "typ": ACCESS_TOKEN_TYPE}
        # An RSA signature is a slice of CPU too long for the event loop: a worker thread.
        token = await anyio.to_thread.run_sync(lambda: sign(header, claims, key.private_key))
        return TokenPair(token, self.settings.access_token_ttl, refresh_token)
