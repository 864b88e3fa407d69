"""An absolute session lifetime (`SESSION_MAX_AGE`): refreshing never extends a chain past
its first login plus the maximum age."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from auth_service.errors import InvalidRefreshToken
from auth_service.passwords import Passwords
from auth_service.settings import AuthSettings
from tests.support.booth import memory_booth
from tests.support.clock import FakeClock

PASSWORD = "correct horse battery"
DAY = 86400
SETTINGS = AuthSettings(
    issuer="http://auth.test", refresh_token_ttl=14 * DAY, session_max_age=30 * DAY
)


async def test_refreshing_every_day_ends_thirty_days_after_the_first_login(
    fast_passwords: Passwords, clock: FakeClock, rsa_key: rsa.RSAPrivateKey
) -> None:
    """A chain refreshed daily works until day 30 and is refused from then on, though each
    refresh token alone would live 14 days (before: every refresh added 14 days, forever)."""
    booth = (await memory_booth(fast_passwords, clock, rsa_key, settings=SETTINGS)).booth
    await booth.register("bruce", PASSWORD)
    started = clock.now
    token = (await booth.login("bruce", PASSWORD, "198.51.100.7")).refresh_token
    for _ in range(29):
        clock.advance(DAY)
        token = (await booth.refresh(token)).refresh_token
    clock.advance(DAY - 1)
    token = (await booth.refresh(token)).refresh_token  # one second before the end
    assert clock.now == started + 30 * DAY - 1

    clock.advance(1)
    with pytest.raises(InvalidRefreshToken):
        await booth.refresh(token)


async def test_a_new_login_starts_a_new_session(
    fast_passwords: Passwords, clock: FakeClock, rsa_key: rsa.RSAPrivateKey
) -> None:
    """The end is per chain: a password login after the old session ended refreshes again."""
    booth = (await memory_booth(fast_passwords, clock, rsa_key, settings=SETTINGS)).booth
    await booth.register("bruce", PASSWORD)
    await booth.login("bruce", PASSWORD, "198.51.100.7")
    clock.advance(31 * DAY)
    token = (await booth.login("bruce", PASSWORD, "198.51.100.7")).refresh_token
    clock.advance(DAY)
    assert (await booth.refresh(token)).access_token


async def test_a_session_shorter_than_a_refresh_token_caps_the_first_token_too(
    fast_passwords: Passwords, clock: FakeClock, rsa_key: rsa.RSAPrivateKey
) -> None:
    """With SESSION_MAX_AGE under REFRESH_TOKEN_TTL, the login's own refresh token dies at
    the session end."""
    settings = AuthSettings(issuer="http://auth.test", session_max_age=3600)
    booth = (await memory_booth(fast_passwords, clock, rsa_key, settings=settings)).booth
    await booth.register("bruce", PASSWORD)
    token = (await booth.login("bruce", PASSWORD, "198.51.100.7")).refresh_token
    clock.advance(3600)
    with pytest.raises(InvalidRefreshToken):
        await booth.refresh(token)
