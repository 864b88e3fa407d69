"""What the rules report for the metrics: each login's outcome and each refresh-token reuse
(`Booth`), each quota decision (`Machine`), each JWKS fetch's outcome (`JWKSCache`); and
what the booth logs of them, never a password or a token."""

from __future__ import annotations

import logging
import math

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from auth_service.booth import Booth
from auth_service.errors import InvalidCredentials, InvalidRefreshToken, Throttled
from auth_service.passwords import Passwords
from shared.errors import StoreUnavailable
from shared.tokens.claims import AccessClaims
from shared.tokens.jwk import public_jwk
from shared.tokens.jwks import CachePolicy, JWKSCache
from tests.support.booth import memory_booth
from tests.support.clock import FakeClock
from tests.support.stores import MemoryPictureStore, MemoryQuotaStore
from vending_service.machine import Machine
from vending_service.pictures import Picture
from vending_service.quotas import Quota, QuotaExceeded
from vending_service.settings import VendingSettings

PASSWORD = "a password nobody logs"
ADDRESS = "198.51.100.9"


@pytest.fixture
def outcomes() -> list[str]:
    return []


@pytest.fixture
async def booth(
    fast_passwords: Passwords, clock: FakeClock, outcomes: list[str], rsa_key: rsa.RSAPrivateKey
) -> Booth:
    made = await memory_booth(
        fast_passwords,
        clock,
        rsa_key,
        user_limit=2,
        on_login=outcomes.append,
        on_reuse=lambda: outcomes.append("reuse"),
    )
    return made.booth


async def test_each_login_reports_its_outcome(booth: Booth, outcomes: list[str]) -> None:
    """success, bad_credentials (wrong password or no such user), throttled, in order."""
    await booth.register("bruce", PASSWORD)
    await booth.login("bruce", PASSWORD, ADDRESS)
    for name in ("bruce", "nobody"):
        with pytest.raises(InvalidCredentials):
            await booth.login(name, PASSWORD + "!", ADDRESS)
    with pytest.raises(InvalidCredentials):
        await booth.login("bruce", PASSWORD + "?", ADDRESS)
    with pytest.raises(Throttled):
        await booth.login("bruce", PASSWORD, ADDRESS)
    assert outcomes == [
        "success",
        "bad_credentials",
        "bad_credentials",
        "bad_credentials",
        "throttled",
    ]


async def test_a_login_during_a_store_outage_reports_unavailable(
    booth: Booth, outcomes: list[str]
) -> None:
    """The store failing is reported as `unavailable`, not as a bad password."""
    await booth.register("bruce", PASSWORD)

    async def down(username: str) -> None:
        raise StoreUnavailable("user store")

    booth.store.get_user = down  # type: ignore[method-assign]
    with pytest.raises(StoreUnavailable):
        await booth.login("bruce", PASSWORD, ADDRESS)
    assert outcomes == ["unavailable"]


async def test_login_lines_name_real_accounts_only_and_never_the_password(
    booth: Booth, caplog: pytest.LogCaptureFixture
) -> None:
    """A failed login for an account names it; for no account (a password typed into the
    username field, say) names nobody; no line holds a password."""
    caplog.set_level(logging.INFO, logger="lanyard.auth")
    await booth.register("bruce", PASSWORD)
    with pytest.raises(InvalidCredentials):
        await booth.login("bruce", "wrong" + PASSWORD, ADDRESS)
    with pytest.raises(InvalidCredentials):
        await booth.login(PASSWORD.replace(" ", ""), PASSWORD, ADDRESS)
    await booth.login("bruce", PASSWORD, ADDRESS)
    failed_bruce, failed_nobody, succeeded = (r.__dict__ for r in caplog.records)
    assert (failed_bruce["outcome"], failed_bruce["username"]) == ("bad_credentials", "bruce")
    assert "username" not in failed_nobody
    assert (succeeded["outcome"], succeeded["client"]) == ("success", ADDRESS)
    everything = repr([r.__dict__ for r in caplog.records])
    assert PASSWORD not in everything
    assert PASSWORD.replace(" ", "") not in everything


async def test_a_reused_refresh_token_is_reported_once_and_logged_without_the_token(
    booth: Booth, outcomes: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    """The second use of a refresh token reports `reuse` and logs whose chain died."""
    caplog.set_level(logging.INFO, logger="lanyard.auth")
    await booth.register("bruce", PASSWORD)
    pair = await booth.login("bruce", PASSWORD, ADDRESS)
    await booth.refresh(pair.refresh_token)
    with pytest.raises(InvalidRefreshToken):
        await booth.refresh(pair.refresh_token)
    with pytest.raises(InvalidRefreshToken):
        await booth.refresh("never-issued")
    assert outcomes == ["success", "reuse"]
    (reuse,) = [r for r in caplog.records if r.__dict__.get("event") == "refresh_reuse"]
    assert reuse.levelno == logging.WARNING
    assert reuse.__dict__["username"] == "bruce"
    assert pair.refresh_token not in repr([r.__dict__ for r in caplog.records])


class DownQuotas(MemoryQuotaStore):
    async def charge(self, subject: str, amount: int, limit: int, now: float) -> Quota:
        raise StoreUnavailable("quota store")


@pytest.mark.parametrize(("mode", "expected"), [("closed", "fail_closed"), ("open", "fail_open")])
async def test_each_quota_charge_reports_its_decision(
    clock: FakeClock, mode: str, expected: str
) -> None:
    """allowed, refused (nothing charged), then the failure mode's decision when the
    quota store is down."""
    cats = [Picture(f"c{i}", "c", "vending", "public", "image/png", 8, 8, 1.0) for i in range(5)]
    decisions: list[str] = []
    settings = VendingSettings(quota_free=3, quota_failure_mode=mode)
    alice = AccessClaims("alice", frozenset({"cats:read"}), "free", math.inf)
    machine = Machine(
        settings,
        pictures=MemoryPictureStore(*cats),
        quotas=MemoryQuotaStore(),
        clock=clock,
        on_quota=decisions.append,
    )
    await machine.vend(alice, 2)
    with pytest.raises(QuotaExceeded):
        await machine.vend(alice, 2)
    machine.quotas = DownQuotas()
    try:
        await machine.vend(alice, 1)
    except StoreUnavailable:
        assert mode == "closed"
    assert decisions == ["allowed", "refused", expected]


async def test_each_jwks_fetch_reports_ok_not_modified_or_error(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    """A fresh set is `ok`, an unchanged one (304) `not_modified`, a failure `error`."""
    state = {"down": False}
    body = {"keys": [public_jwk(rsa_key.public_key(), "k1")]}

    def handler(request: httpx.Request) -> httpx.Response:
        if state["down"]:
            return httpx.Response(503)
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304, headers={"ETag": '"v1"'})
        return httpx.Response(200, json=body, headers={"ETag": '"v1"'})

    fetched: list[str] = []
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        cache = JWKSCache(
            "http://auth.test/jwks", client=client, policy=CachePolicy(), on_fetch=fetched.append
        )
        assert await cache.refresh()
        assert await cache.refresh()
        state["down"] = True
        assert not await cache.refresh()
    assert fetched == ["ok", "not_modified", "error"]
