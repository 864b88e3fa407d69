"""The revocation list: its codec, what it refuses, the verifier's use of it, and the
verifier side's cache (last good list kept, tampered lists ignored, staleness)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from shared.tokens.claims import AccessClaims, ClaimsPolicy, read_claims
from shared.tokens.errors import MalformedToken, RevokedToken, TokenError
from shared.tokens.jwks import JWKSCache
from shared.tokens.jws import sign
from shared.tokens.revocation_cache import RevocationCache
from shared.tokens.revocations import (
    REVOCATIONS_TYPE,
    RevocationList,
    read_revocations,
    revocations_payload,
)
from shared.tokens.verifier import TokenVerifier
from tests.support.clock import FakeClock
from tests.support.tokens import TokenMinter

ISSUER = "http://auth.test"
AUDIENCE = "lanyard-vending"
JWKS_URL = f"{ISSUER}/.well-known/jwks.json"
LIST_URL = f"{ISSUER}/.well-known/revocations.jwt"


def payload(now: float, **lists: Any) -> dict[str, Any]:
    return revocations_payload(
        issuer=ISSUER,
        issued_at=int(now),
        lifetime=600,
        sids=lists.get("sids", []),
        jtis=lists.get("jtis", []),
        kids=lists.get("kids", []),
        subs=lists.get("subs", {}),
    )


class Booth:
    """Serves a JWKS and, at the list URL, whatever `body` is (a signed list by default)."""

    def __init__(self, minter: TokenMinter, clock: FakeClock) -> None:
        self.minter = minter
        self.clock = clock
        self.body: bytes | None = None
        self.status = 200
        self.down = False
        self.lists = 0
        self.set_list()

    def signed(
        self, claims: dict[str, Any], *, typ: str = REVOCATIONS_TYPE, key: Any = None
    ) -> bytes:
        header = {"kid": self.minter.kid, "typ": typ}
        return sign(header, claims, key or self.minter.key).encode("ascii")

    def set_list(self, **lists: Any) -> None:
        self.body = self.signed(payload(self.clock(), **lists))

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("jwks.json"):
            return httpx.Response(200, json={"keys": [self.minter.jwk]})
        self.lists += 1
        if self.down:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(self.status, content=self.body or b"")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_700_000_000.0)


@pytest.fixture
def minter(clock: FakeClock, rsa_key: rsa.RSAPrivateKey) -> TokenMinter:
    return TokenMinter(issuer=ISSUER, audience=AUDIENCE, kid="k1", key=rsa_key, clock=clock)


@pytest.fixture
def booth(minter: TokenMinter, clock: FakeClock) -> Booth:
    return Booth(minter, clock)


class Monotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def cache(booth: Booth, clock: FakeClock) -> AsyncIterator[tuple[RevocationCache, Monotonic]]:
    monotonic = Monotonic()
    async with httpx.AsyncClient(transport=httpx.MockTransport(booth.handler)) as client:
        keys = JWKSCache(JWKS_URL, client=client, clock=clock)
        revocations = RevocationCache(
            LIST_URL, client=client, keys=keys, issuer=ISSUER, clock=clock, monotonic=monotonic
        )
        yield revocations, monotonic
        await revocations.aclose()
        await keys.aclose()


def test_a_list_refuses_its_sessions_tokens_keys_and_users_issued_before(
    minter: TokenMinter, clock: FakeClock
) -> None:
    now = clock()
    revoked = read_revocations(
        payload(now, sids=["s1"], jtis=["j1"], kids=["old"], subs={"bob": now}),
        issuer=ISSUER,
        now=now,
    )

    def claims(sub: str = "alice", kid: str = "k1", **overrides: Any) -> AccessClaims:
        raw = minter.claims(sub, **{"sid": "s0", **overrides})
        return read_claims(raw, ClaimsPolicy(ISSUER, AUDIENCE), now, kid=kid)

    assert not revoked.refuses(claims())
    assert revoked.refuses(claims(sid="s1"))
    assert revoked.refuses(claims(jti="j1"))
    assert revoked.refuses(claims(kid="old"))
    assert revoked.refuses(claims("bob", iat=int(now) - 1))
    assert not revoked.refuses(claims("bob", iat=int(now)))
    assert len(revoked) == 4


@pytest.mark.parametrize(
    "change",
    [
        {"iss": "http://evil.test"},
        {"exp": 1_700_000_000 - 1},
        {"iat": "yesterday"},
        {"sids": "s1"},
        {"sids": [1, 2]},
        {"sids": [""]},
        {"jtis": ["x" * 300]},
        {"subs": ["bob"]},
        {"subs": {"bob": "noon"}},
        {"subs": {"bob": float("nan")}},
    ],
    ids=repr,
)
def test_a_list_of_any_other_shape_is_refused(clock: FakeClock, change: dict[str, Any]) -> None:
    with pytest.raises(TokenError):
        read_revocations({**payload(clock()), **change}, issuer=ISSUER, now=clock())


async def test_the_verifier_refuses_a_cached_token_once_the_list_names_it(
    minter: TokenMinter, clock: FakeClock
) -> None:
    """A token verified (and cached) before its session was revoked is refused after."""

    class Keys:
        generation = 0

        async def get(self, kid: str) -> Any:
            return minter.key.public_key()

    class Source:
        current: RevocationList | None = None

    source = Source()
    verifier = TokenVerifier(
        Keys(), ClaimsPolicy(ISSUER, AUDIENCE), clock=clock, revocations=source
    )
    token, other = minter.mint("alice", sid="s1"), minter.mint("alice", sid="s2")
    assert (await verifier.verify(token)).sid == "s1"
    source.current = read_revocations(payload(clock(), sids=["s1"]), issuer=ISSUER, now=clock())
    with pytest.raises(RevokedToken):
        await verifier.verify(token)
    assert (await verifier.verify(other)).sid == "s2"
    assert verifier.verifications == 2


async def test_the_cache_fetches_a_signed_list_and_keeps_it(
    cache: tuple[RevocationCache, Monotonic], booth: Booth
) -> None:
    revocations, _ = cache
    booth.set_list(sids=["s1"])
    assert await revocations.refresh()
    assert revocations.current is not None
    assert revocations.current.sids == {"s1"}
    assert revocations.age() == 0.0


def signed_bytes(payload: bytes, *, kid: str, key: rsa.RSAPrivateKey) -> bytes:
    """A compact RS256 JWS over an arbitrary payload (PyJWT signs JSON only)."""
    header = json.dumps({"alg": "RS256", "kid": kid, "typ": REVOCATIONS_TYPE}).encode()
    signing_input = b".".join(_b64(part) for part in (header, payload))
    signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return signing_input + b"." + _b64(signature)


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


async def test_tampered_lists_are_ignored_and_the_last_good_one_kept(
    cache: tuple[RevocationCache, Monotonic],
    booth: Booth,
    clock: FakeClock,
    other_rsa_key: rsa.RSAPrivateKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A bad signature, a wrong typ, an expired list, not a JWS, a correctly signed payload
    that is not JSON, a list older than the one held: each is counted as rejected, reported
    as such (the metric's outcome and a log line) and changes nothing."""
    revocations, _ = cache
    outcomes: list[str] = []
    revocations.on_fetch = outcomes.append
    booth.set_list(sids=["good"])
    assert await revocations.refresh()
    good = revocations.current
    clock.advance(10)
    tampered = [
        booth.signed(payload(clock(), sids=[]), key=other_rsa_key),
        booth.signed(payload(clock(), sids=[]), typ="at+jwt"),
        booth.signed({**payload(clock() - 700), "sids": []}),
        b"not a token at all",
        b"{}",
        signed_bytes(b"not json {", kid=booth.minter.kid, key=booth.minter.key),
        booth.signed(payload(clock() - 20, sids=[])),
    ]
    for count, body in enumerate(tampered, start=1):
        booth.body = body
        caplog.clear()
        assert not await revocations.refresh()
        assert revocations.rejected == count
        assert revocations.current is good
        assert outcomes[-1] == "rejected"
        assert any("not believed" in record.getMessage() for record in caplog.records)
    assert outcomes == ["ok", *["rejected"] * len(tampered)]


async def test_a_failed_fetch_keeps_the_list_and_ages_it_until_stale(
    cache: tuple[RevocationCache, Monotonic], booth: Booth
) -> None:
    revocations, monotonic = cache
    assert revocations.stale(600)  # nothing had yet
    assert await revocations.refresh()
    booth.down = True
    monotonic.now += 599
    assert not await revocations.refresh()
    assert revocations.failures == 1
    assert revocations.current is not None
    assert not revocations.stale(600)
    monotonic.now += 2
    assert revocations.stale(600)


async def test_concurrent_refreshes_share_one_fetch(
    cache: tuple[RevocationCache, Monotonic], booth: Booth
) -> None:
    revocations, _ = cache
    results = await asyncio.gather(*(revocations.refresh() for _ in range(10)))
    assert all(results)
    assert booth.lists == 1


def test_a_token_longer_than_the_cap_is_malformed() -> None:
    from shared.tokens.jws import CompactJWS

    with pytest.raises(MalformedToken):
        CompactJWS.parse("a" * 100, max_bytes=10)
