"""The booth's rules: register, log in, refresh and log out. No HTTP here.

Every rule of the booth lives in `Booth`: who may register (and how often from one
address), how a login is throttled (by name and address, or for a known device by that
device alone), what a token says, how long a session may last (`SESSION_MAX_AGE`), and what
a refresh token presented twice means (theft: its chain is revoked).
Stores only keep and report; they decide nothing. Each login's outcome and each reuse is
reported (`on_login`, `on_reuse`: the app counts them) and logged, never with a password
or a token, and with a username only when it names an account (a mistyped password in the
username field stays unwritten).
"""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import replace

from auth_service.accounts import AccountStore, RefreshRecord, Spent, User, hash_refresh_token
from auth_service.devices import DeviceTokens
from auth_service.errors import InvalidCredentials, InvalidRefreshToken, Throttled, UsernameTaken
from auth_service.hashing import Priority
from auth_service.issuer import TokenIssuer, TokenPair, granted_scope
from auth_service.keys import KeyRing
from auth_service.passwords import Passwords
from auth_service.revocations import Revoker
from auth_service.settings import AuthSettings
from auth_service.throttle import LoginThrottle, RegistrationLimit
from shared.errors import Unavailable
from shared.tokens.claims import AccessClaims
from shared.usernames import InvalidUsername, canonical_username

__all__ = ["Booth"]

_MAX_REFRESH_TOKEN = 128
log = logging.getLogger("lanyard.auth")


def _ignore(*args: object) -> None:
    return None


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
        devices: DeviceTokens | None = None,
        registrations: RegistrationLimit | None = None,
        on_login: Callable[[str], None] = _ignore,
        on_reuse: Callable[[], None] = _ignore,
    ) -> None:
        """`devices` defaults to a key of this process only (replicas pass one derived from
        the shared KEK); `registrations` to `REGISTER_PER_ADDRESS` an hour, counted in the
        throttle's store."""
        self.settings = settings
        self.devices = devices or DeviceTokens.ephemeral(clock=clock)
        self.registrations = registrations or RegistrationLimit(
            throttle.store, limit=settings.register_per_address
        )
        self.on_login = on_login
        self.on_reuse = on_reuse
        self.store = store
        self.passwords = passwords
        self.throttle = throttle
        self.keys = keys
        self.revoker = revoker
        self.clock = clock
        self.issuer = TokenIssuer(settings, keys, clock=clock)

    async def register(self, raw_username: str, password: str, address: str | None = None) -> str:
        """Create an account; the canonical username. `UsernameTaken` if it exists;
        `TooManyRegistrations` when `address` (the caller's, when one is known) has used its
        allowance; `HashingBusy` when the hashing queue is full."""
        username = canonical_username(raw_username)
        if username in self.settings.reserved_usernames:
            raise UsernameTaken()
        if address is not None:
            await self.registrations.attempt(address, self.clock())
        password_hash = await self.passwords.hash(password, priority=Priority.REGISTER)
        user = User(
            username=username,
            password_hash=password_hash,
            tier="free",
            scopes=" ".join(self.settings.default_scopes),
            created_at=self.clock(),
        )
        await self.store.create_user(user)
        return username

    async def login(
        self,
        raw_username: str,
        password: str,
        address: str,
        *,
        scope: str | None = None,
        client_id: str | None = None,
        device_token: str | None = None,
    ) -> TokenPair:
        """A token pair and a device token for the right password; throttled by failures
        (see `LoginThrottle`), for a known device (`device_token` valid for this username)
        by that device's failures only. `scope` narrows what the tokens may do (never
        widens it); `client_id` is the client they are issued to (the browser app unless a
        confidential client asks). The outcome goes to `on_login`: success,
        bad_credentials, throttled or unavailable."""
        try:
            pair, username = await self._login(
                raw_username, password, address, scope, client_id, device_token
            )
        except InvalidCredentials as exc:
            self._login_outcome("bad_credentials", exc.username, address, logging.WARNING)
            raise
        except Throttled:
            self._login_outcome("throttled", None, address, logging.WARNING)
            raise
        except Unavailable:
            self._login_outcome("unavailable", None, address, logging.ERROR)
            raise
        self._login_outcome("success", username, address, logging.INFO)
        return pair

    def _login_outcome(self, outcome: str, username: str | None, address: str, level: int) -> None:
        self.on_login(outcome)
        extra = {"event": "login", "outcome": outcome, "client": address}
        if username:
            extra["username"] = username
        log.log(level, "login %s", outcome, extra=extra)

    async def _login(
        self,
        raw_username: str,
        password: str,
        address: str,
        scope: str | None,
        client_id: str | None,
        device_token: str | None,
    ) -> tuple[TokenPair, str]:
        try:
            username = canonical_username(raw_username)
        except InvalidUsername:
            username = ""  # can exist nowhere; still costs a hash and counts for the address
        device = self.devices.device_of(device_token, username)
        # Counted as a failure at once: concurrent guesses cannot all pass the check.
        await self.throttle.attempt(username, address, self.clock(), device=device)
        try:
            user = await self.store.get_user(username) if username else None
            ok = await self.passwords.verify(user.password_hash if user else None, password)
        except Unavailable:
            # The store or the hashing queue failed, not the password: an outage or a
            # flood must not lock anyone out.
            await self.throttle.forgive(username, address, device=device)
            raise
        if not ok or user is None:
            raise InvalidCredentials(user.username if user else None)
        await self.throttle.succeeded(username, address, device=device)
        granted = granted_scope(scope, user.scopes)
        if self.passwords.needs_rehash(user.password_hash):
            rehashed = await self.passwords.hash(password, priority=Priority.LOGIN)
            await self.store.set_password_hash(username, rehashed)
        refresh_token, record = self._new_refresh(username, family_id=uuid.uuid4().hex)
        if granted != user.scopes:
            record = replace(record, scope=granted)
        await self.store.add_refresh(record)
        pair = await self.issuer.issue(user, refresh_token, record.family_id, granted, client_id)
        # The device keeps its id (and so its own count); an unknown one gets a new id.
        return replace(pair, device_token=self.devices.issue(username, device)), username

    async def refresh(
        self, refresh_token: str, *, scope: str | None = None, client_id: str | None = None
    ) -> TokenPair:
        """A new pair for a live refresh token, which is spent. A token presented a second
        time means it was stolen (or raced): its whole chain is revoked (OAuth 2.0 BCP).
        `scope` may narrow the new access token within what the chain was granted."""
        if not 0 < len(refresh_token) <= _MAX_REFRESH_TOKEN:
            raise InvalidRefreshToken()
        token_hash = hash_refresh_token(refresh_token)
        if scope is not None:
            # A scope the chain was never granted is refused before the token is spent, so
            # the client keeps a working refresh token (RFC 6749 6).
            known = await self.store.find_refresh(token_hash)
            user = await self.store.get_user(known.username) if known else None
            if known is not None and user is not None:
                granted_scope(scope, self._allowed(known.scope, user))
        new_token, successor = self._new_refresh("", family_id="")
        now = self.clock()
        spend = await self.store.spend_refresh(token_hash, successor, now)
        if spend.outcome is Spent.REUSED:
            await self.store.revoke_family(spend.family_id, now)
            await self.revoker.session(spend.family_id)
            self.on_reuse()
            log.warning(
                "refresh token reused: its chain is revoked",
                extra={"event": "refresh_reuse", "username": spend.username},
            )
        if spend.outcome is not Spent.FRESH:
            raise InvalidRefreshToken()
        user = await self.store.get_user(spend.username)
        if user is None:
            raise InvalidRefreshToken()
        granted = granted_scope(scope, self._allowed(spend.scope, user))
        return await self.issuer.issue(user, new_token, spend.family_id, granted, client_id)

    @staticmethod
    def _allowed(chain_scope: str | None, user: User) -> str:
        """What a chain may still grant: what it was granted that the user still has (a
        scope taken away since is not handed back by a refresh)."""
        chain = chain_scope if chain_scope is not None else user.scopes
        return " ".join(s for s in chain.split() if s in user.scopes.split())

    async def revoke(self, token: str, hint: str | None = None) -> None:
        """RFC 7009: a refresh token revokes its chain and every access token issued from it;
        an access token of ours goes on the revocation list. Anything else (unknown, spent,
        expired, not ours) changes nothing, and is no error. `hint` says what to try first."""
        kinds = ["access_token", "refresh_token"]
        if hint != "access_token":
            kinds.reverse()
        for kind in kinds:
            if kind == "refresh_token" and 0 < len(token) <= _MAX_REFRESH_TOKEN:
                if await self.store.find_refresh(hash_refresh_token(token)) is not None:
                    await self.logout(token)
                    return
            elif kind == "access_token":
                claims = await self.issuer.own_claims(token)
                if claims is not None and claims.jti is not None:
                    await self.revoker.token(claims.jti)
                    return

    async def introspect(self, token: str) -> AccessClaims | None:
        """RFC 7662: the claims of an access token of ours that is live and not revoked;
        None for anything else (expired, forged, revoked, unknown, a refresh token)."""
        claims = await self.issuer.own_claims(token)
        if claims is None or (await self.revoker.current()).refuses(claims):
            return None
        return claims

    async def logout(self, refresh_token: str) -> None:
        """Revoke the whole chain the token belongs to, and with it every access token it
        issued; unknown or spent tokens are fine."""
        if not 0 < len(refresh_token) <= _MAX_REFRESH_TOKEN:
            return
        family = await self.store.revoke_family_of(hash_refresh_token(refresh_token), self.clock())
        if family is not None:
            await self.revoker.session(family)

    def _new_refresh(self, username: str, *, family_id: str) -> tuple[str, RefreshRecord]:
        """A new refresh token and its record. A login's starts a session that ends
        `session_max_age` from now; a refresh's successor inherits its chain's end (the
        store caps its expiry there), so refreshing never extends a session."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        ends = now + self.settings.session_max_age
        record = RefreshRecord(
            token_hash=hash_refresh_token(token),
            family_id=family_id,
            username=username,
            issued_at=now,
            expires_at=min(now + self.settings.refresh_token_ttl, ends),
            session_ends_at=ends,
        )
        return token, record
