"""The booth's service layer: register, log in, refresh and log out. No HTTP here."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import anyio
import jwt

from auth_service.keys import KeyRing
from auth_service.passwords import Passwords
from auth_service.settings import AuthSettings
from auth_service.store import AccountStore, RefreshRecord, User, UsernameTaken
from auth_service.throttle import LoginThrottle
from shared.errors import Conflict, UnprocessableContent
from shared.stores import StoreUnavailable
from shared.usernames import InvalidUsername, canonical_username

__all__ = ["Booth", "InvalidCredentials", "InvalidRefreshToken", "TokenPair"]

_MAX_REFRESH_TOKEN = 128


class InvalidCredentials(Exception):
    """Unknown user or wrong password: deliberately one error for both."""


class InvalidRefreshToken(Exception):
    """The refresh token is unknown, expired, spent or revoked."""


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    expires_in: int
    refresh_token: str

    def as_response(self) -> dict[str, object]:
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
        }


def hash_refresh_token(token: str) -> str:
    # 256 random bits need no slow hash: SHA-256 makes a stolen table useless.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


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
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.store = store
        self.passwords = passwords
        self.throttle = throttle
        self.keys = keys
        self.clock = clock

    async def register(self, raw_username: str, password: str) -> str:
        username = canonical_username(raw_username)
        if username in self.settings.reserved_usernames:
            raise Conflict("that username is taken")
        password_hash = await self.passwords.hash(password)
        user = User(
            username=username,
            password_hash=password_hash,
            tier="free",
            scopes=" ".join(self.settings.default_scopes),
            created_at=self.clock(),
        )
        try:
            await self.store.create_user(user)
        except UsernameTaken:
            raise Conflict("that username is taken") from None
        return username

    async def login(self, raw_username: str, password: str, address: str) -> TokenPair:
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
        return TokenPair(
            await self._access_token(user), self.settings.access_token_ttl, refresh_token
        )

    async def refresh(self, refresh_token: str) -> TokenPair:
        if not 0 < len(refresh_token) <= _MAX_REFRESH_TOKEN:
            raise InvalidRefreshToken()
        new_token, successor = self._new_refresh("", family_id="")
        username = await self.store.rotate_refresh(
            hash_refresh_token(refresh_token), successor, self.clock()
        )
        if username is None:
            raise InvalidRefreshToken()
        user = await self.store.get_user(username)
        if user is None:
            raise InvalidRefreshToken()
        return TokenPair(await self._access_token(user), self.settings.access_token_ttl, new_token)

    async def logout(self, refresh_token: str) -> None:
        """Revoke the whole chain the token belongs to; unknown or spent tokens are fine."""
        if 0 < len(refresh_token) <= _MAX_REFRESH_TOKEN:
            await self.store.revoke_chain(hash_refresh_token(refresh_token), self.clock())

    async def set_tier(self, raw_username: str, tier: str) -> None:
        if tier not in ("free", "premium"):
            raise UnprocessableContent("tier must be free or premium")
        if not await self.store.set_tier(canonical_username(raw_username), tier):
            raise LookupError(raw_username)

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

    async def _access_token(self, user: User) -> str:
        now = int(self.clock())
        claims = {
            "iss": self.settings.issuer,
            "sub": user.username,
            "aud": self.settings.audience,
            "iat": now,
            "nbf": now,
            "exp": now + self.settings.access_token_ttl,
            "jti": uuid.uuid4().hex,
            "client_id": self.settings.client_id,
            "scope": user.scopes,
            "tier": user.tier,
        }
        signing = self.keys.signing
        headers = {"kid": signing.kid, "typ": "at+jwt"}
        # An RSA signature is ~0.5 ms of CPU: keep it off the event loop.
        return await anyio.to_thread.run_sync(
            lambda: jwt.encode(claims, signing.private_key, algorithm="RS256", headers=headers)
        )
