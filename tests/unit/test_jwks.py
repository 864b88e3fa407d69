"""Unit tests for `shared.tokens.jwk` and `.jwks`: parsing a JWKS, and the cache that fetches it."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from shared.tokens.errors import JWKSError
from shared.tokens.jwk import parse_jwks, public_jwk
from shared.tokens.jwks import CachePolicy, JWKSCache
from tests.support.clock import FakeClock
from tests.support.jwks import JWKSFake

URL = "http://auth.test/.well-known/jwks.json"
T = TypeVar("T")


def b64uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def private_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, str]:
    """A JWK holding every private member of `key` as well as the public ones."""
    numbers = key.private_numbers()
    return {
        **public_jwk(key.public_key(), kid),
        "d": b64uint(numbers.d),
        "p": b64uint(numbers.p),
        "q": b64uint(numbers.q),
        "dp": b64uint(numbers.dmp1),
        "dq": b64uint(numbers.dmq1),
        "qi": b64uint(numbers.iqmp),
    }


def document(*keys: dict[str, Any]) -> bytes:
    return json.dumps({"keys": list(keys)}).encode("utf-8")


def background_tasks() -> set[asyncio.Task[Any]]:
    """Tasks other than the running test: work the cache started and did not wait for."""
    return asyncio.all_tasks() - {asyncio.current_task()}


async def within_deadline(awaitable: Awaitable[T]) -> T:
    """Await a condition that must already be on its way; a deadlock fails instead of hanging."""
    async with asyncio.timeout(10):
        return await awaitable


@pytest.fixture(scope="module")
def small_rsa_key() -> rsa.RSAPrivateKey:
    """A 1024-bit RSA key: too short to be trusted."""
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - short on purpose


@pytest.fixture
def jwk_a(rsa_key: rsa.RSAPrivateKey) -> dict[str, str]:
    return public_jwk(rsa_key.public_key(), "key-a")


@pytest.fixture
def jwk_b(other_rsa_key: rsa.RSAPrivateKey) -> dict[str, str]:
    return public_jwk(other_rsa_key.public_key(), "key-b")


@pytest.fixture
def jwk_c(third_rsa_key: rsa.RSAPrivateKey) -> dict[str, str]:
    return public_jwk(third_rsa_key.public_key(), "key-c")


# --- parse_jwks -------------------------------------------------------------------------


def test_parse_jwks_returns_public_keys_by_kid(
    rsa_key: rsa.RSAPrivateKey, jwk_a: dict[str, str], jwk_b: dict[str, str]
) -> None:
    """Each usable key is returned under its `kid`, with the published numbers."""
    keys = parse_jwks(document(jwk_a, jwk_b))
    assert sorted(keys) == ["key-a", "key-b"]
    assert keys["key-a"].public_numbers() == rsa_key.public_key().public_numbers()


def test_parse_jwks_ignores_private_members_and_yields_only_public_keys(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    """A JWK that leaks its private members still yields only the public key."""
    keys = parse_jwks(document(private_jwk(rsa_key, "leaky")))
    key = keys["leaky"]
    assert isinstance(key, rsa.RSAPublicKey)
    assert not isinstance(key, rsa.RSAPrivateKey)
    assert not hasattr(key, "private_numbers")
    assert key.public_numbers() == rsa_key.public_key().public_numbers()


def test_parse_jwks_accepts_a_key_without_use_or_alg(jwk_a: dict[str, str]) -> None:
    """`use` and `alg` are optional in a JWK; a bare RSA key is taken as an RS256 signing key."""
    bare = {k: v for k, v in jwk_a.items() if k not in ("use", "alg")}
    assert sorted(parse_jwks(document(bare))) == ["key-a"]


def _ec_jwk() -> dict[str, str]:
    numbers = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "use": "sig",
        "alg": "ES256",
        "kid": "ec",
        "x": b64uint(numbers.x),
        "y": b64uint(numbers.y),
    }


@pytest.mark.parametrize(
    "reason",
    [
        "ec-key",
        "oct-key",
        "use-enc",
        "alg-rs512",
        "alg-hs256",
        "alg-none",
        "under-2048-bits",
        "no-kid",
        "n-not-base64url",
        "even-exponent",
        "not-an-object",
    ],
)
def test_parse_jwks_skips_unusable_keys_and_keeps_the_usable_one(
    jwk_a: dict[str, str], small_rsa_key: rsa.RSAPrivateKey, reason: str
) -> None:
    """Non-RSA keys, encryption keys, other algorithms, short keys and junk entries are skipped."""
    bad_jwk = {**jwk_a, "kid": "bad"}
    unusable: Any = {
        "ec-key": _ec_jwk(),
        "oct-key": {"kty": "oct", "kid": "bad", "k": "c2VjcmV0"},
        "use-enc": {**bad_jwk, "use": "enc"},
        "alg-rs512": {**bad_jwk, "alg": "RS512"},
        "alg-hs256": {**bad_jwk, "alg": "HS256"},
        "alg-none": {**bad_jwk, "alg": "none"},
        "under-2048-bits": public_jwk(small_rsa_key.public_key(), "bad"),
        "no-kid": {k: v for k, v in jwk_a.items() if k != "kid"},
        "n-not-base64url": {**bad_jwk, "n": "not base64!"},
        "even-exponent": {**bad_jwk, "e": b64uint(65536)},
        "not-an-object": "key-a",
    }[reason]
    keys = parse_jwks(document(unusable, jwk_a))
    assert sorted(keys) == ["key-a"]


def test_parse_jwks_raises_when_no_key_is_usable(small_rsa_key: rsa.RSAPrivateKey) -> None:
    """A key set with nothing usable in it is an error, not an empty set."""
    with pytest.raises(JWKSError):
        parse_jwks(document(public_jwk(small_rsa_key.public_key(), "short"), _ec_jwk()))


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"\x00not json{", b"\xff\xfe", b"[" * 100_000, b"NaN"],
)
def test_parse_jwks_raises_when_the_document_is_not_json(body: bytes) -> None:
    """Bytes that are not UTF-8 JSON are a `JWKSError`, never another exception."""
    with pytest.raises(JWKSError):
        parse_jwks(body)


@pytest.mark.parametrize("body", [b"{}", b'{"keys": {}}', b'{"keys": []}', b"[]", b"null"])
def test_parse_jwks_raises_when_there_is_no_keys_list(body: bytes) -> None:
    """JSON without a non-empty `keys` list is a `JWKSError`."""
    with pytest.raises(JWKSError):
        parse_jwks(body)


def test_parse_jwks_refuses_a_kid_given_twice(
    jwk_a: dict[str, str], other_rsa_key: rsa.RSAPrivateKey
) -> None:
    """Two different keys under one `kid` make the set ambiguous, so it is refused."""
    with pytest.raises(JWKSError):
        parse_jwks(document(jwk_a, public_jwk(other_rsa_key.public_key(), "key-a")))


# --- JWKSCache --------------------------------------------------------------------------


class GatedTransport(httpx.AsyncBaseTransport):
    """Passes requests to a `JWKSFake`, holding each one until `release` is set."""

    def __init__(self, fake: JWKSFake) -> None:
        self.fake = fake
        self.arrived = asyncio.Event()
        self.release = asyncio.Event()
        self.release.set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.arrived.set()
        await self.release.wait()
        return self.fake.handler(request)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1000.0)


@pytest.fixture
def fake(jwk_a: dict[str, str]) -> JWKSFake:
    return JWKSFake(jwk_a, max_age=300)


@pytest.fixture
def gate(fake: JWKSFake) -> GatedTransport:
    return GatedTransport(fake)


@pytest.fixture
async def client(gate: GatedTransport) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=gate) as client:
        yield client


CacheFactory = Callable[..., JWKSCache]


@pytest.fixture
async def make_cache(client: httpx.AsyncClient, clock: FakeClock) -> AsyncIterator[CacheFactory]:
    """Builds caches on the gated fake transport, closing each one after the test."""
    caches: list[JWKSCache] = []

    def make(**kwargs: Any) -> JWKSCache:
        kwargs.setdefault("client", client)
        cache = JWKSCache(URL, clock=clock, **kwargs)
        caches.append(cache)
        return cache

    yield make
    for cache in caches:
        await cache.aclose()


@pytest.fixture
async def cache(make_cache: CacheFactory) -> JWKSCache:
    """A cache that has fetched `key-a` once."""
    cache = make_cache()
    assert await cache.refresh()
    return cache


@pytest.mark.parametrize("failure", ["error", "garbage", "down"])
async def test_start_retries_with_backoff_until_the_first_fetch_succeeds(
    make_cache: CacheFactory, fake: JWKSFake, failure: str
) -> None:
    """Failed first fetches are retried with doubling delays, capped, until keys arrive."""
    failures_before_ok = 7
    delays: list[float] = []
    failing_streak_over = asyncio.Event()

    async def sleep(delay: float) -> None:
        delays.append(delay)
        if len(delays) == failures_before_ok:
            fake.mode = "ok"
            failing_streak_over.set()

    fake.mode = failure
    cache = make_cache(policy=CachePolicy(retry_initial=0.5, retry_max=8.0), sleep=sleep)
    await cache.start()
    assert not cache.ready
    await within_deadline(failing_streak_over.wait())
    # The retry that follows the last sleep is under way; refresh() joins it.
    assert await cache.refresh()
    assert cache.ready
    assert sorted(cache.keys) == ["key-a"]
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert fake.requests == failures_before_ok + 1
    assert cache.failures == failures_before_ok


async def test_start_makes_one_fetch_when_the_first_one_succeeds(
    make_cache: CacheFactory, fake: JWKSFake
) -> None:
    """When the JWKS answers at once, start fetches once and never sleeps."""
    delays: list[float] = []

    async def sleep(delay: float) -> None:
        delays.append(delay)

    cache = make_cache(sleep=sleep)
    await cache.start()
    assert await cache.refresh()
    assert cache.ready
    assert fake.requests == 1
    assert delays == []


async def test_get_of_a_known_kid_makes_no_fetch(cache: JWKSCache, fake: JWKSFake) -> None:
    """A known `kid` is answered from memory while the set is fresh."""
    for _ in range(100):
        assert await cache.get("key-a") is not None
    assert background_tasks() == set()
    assert fake.requests == 1


async def test_unknown_kids_cause_at_most_one_fetch_per_cooldown(
    cache: JWKSCache, fake: JWKSFake, clock: FakeClock
) -> None:
    """500 unknown `kid`s within the cooldown are all None and cost a single fetch."""
    results = [await cache.get(uuid.uuid4().hex) for _ in range(500)]
    assert results == [None] * 500
    assert fake.requests == 2
    clock.advance(cache.policy.miss_cooldown - 1)
    assert await cache.get(uuid.uuid4().hex) is None
    assert fake.requests == 2


async def test_concurrent_unknown_kids_cause_one_fetch(
    cache: JWKSCache, fake: JWKSFake, gate: GatedTransport
) -> None:
    """500 concurrent requests with random unknown `kid`s are all None and share one fetch."""
    gate.release.clear()
    gate.arrived.clear()
    misses = asyncio.gather(*(cache.get(uuid.uuid4().hex) for _ in range(500)))
    await within_deadline(gate.arrived.wait())
    gate.release.set()
    assert await within_deadline(misses) == [None] * 500
    assert fake.requests == 2
    assert await cache.get(uuid.uuid4().hex) is None
    assert fake.requests == 2


async def test_unknown_kid_after_the_cooldown_allows_one_more_fetch(
    cache: JWKSCache, fake: JWKSFake, clock: FakeClock
) -> None:
    """Once the cooldown has passed, the next unknown `kid` may fetch again, once."""
    assert await cache.get("nope-1") is None
    assert fake.requests == 2
    clock.advance(cache.policy.miss_cooldown)
    assert await cache.get("nope-2") is None
    assert await cache.get("nope-3") is None
    assert fake.requests == 3


async def test_unknown_kid_of_a_rotated_key_is_found_by_the_miss_fetch(
    cache: JWKSCache, fake: JWKSFake, jwk_b: dict[str, str], other_rsa_key: rsa.RSAPrivateKey
) -> None:
    """A token naming a newly published key makes the cache fetch and find it."""
    fake.keys.append(jwk_b)
    key = await cache.get("key-b")
    assert key is not None
    assert key.public_numbers() == other_rsa_key.public_key().public_numbers()
    assert fake.requests == 2


async def test_concurrent_unknown_kid_misses_share_one_fetch(
    cache: JWKSCache,
    fake: JWKSFake,
    gate: GatedTransport,
    jwk_b: dict[str, str],
    other_rsa_key: rsa.RSAPrivateKey,
) -> None:
    """Many concurrent misses for a new `kid` share exactly one fetch, and all get the key."""
    fake.keys.append(jwk_b)
    gate.release.clear()
    gate.arrived.clear()
    misses = asyncio.gather(*(cache.get("key-b") for _ in range(50)))
    await within_deadline(gate.arrived.wait())
    gate.release.set()
    results = await within_deadline(misses)
    expected = other_rsa_key.public_key().public_numbers()
    assert [key.public_numbers() if key else None for key in results] == [expected] * 50
    assert fake.requests == 2


async def test_concurrent_refreshes_share_one_fetch(
    cache: JWKSCache, fake: JWKSFake, gate: GatedTransport
) -> None:
    """Callers of refresh() while a fetch is under way join it."""
    gate.release.clear()
    refreshes = asyncio.gather(*(cache.refresh() for _ in range(20)))
    await within_deadline(gate.arrived.wait())
    gate.release.set()
    assert await within_deadline(refreshes) == [True] * 20
    assert fake.requests == 2


@pytest.mark.parametrize("failure", ["error", "garbage", "down"])
async def test_failed_fetch_keeps_the_last_good_keys(
    cache: JWKSCache, fake: JWKSFake, failure: str
) -> None:
    """A 500, a non-JSON body or a refused connection leaves keys and generation as they were."""
    key = await cache.get("key-a")
    generation = cache.generation
    fake.mode = failure
    assert await cache.refresh() is False
    assert cache.failures == 1
    assert cache.ready
    assert await cache.get("key-a") is key
    assert cache.generation == generation


@pytest.mark.parametrize("failure", ["error", "garbage", "down"])
async def test_failed_first_fetch_leaves_the_cache_not_ready(
    make_cache: CacheFactory, fake: JWKSFake, failure: str
) -> None:
    """Until a fetch succeeds there are no keys, and every `kid` is unknown."""
    fake.mode = failure
    cache = make_cache()
    assert await cache.refresh() is False
    assert not cache.ready
    assert await cache.get("key-a") is None


async def test_set_that_expires_is_refreshed_in_the_background_on_the_next_get(
    cache: JWKSCache, fake: JWKSFake, gate: GatedTransport, clock: FakeClock
) -> None:
    """Past its `max-age`, the next get serves the current key and starts one refresh."""
    clock.advance(299)
    key = await cache.get("key-a")
    assert background_tasks() == set()
    clock.advance(1)
    gate.release.clear()
    gate.arrived.clear()
    # The gate holds the refresh, so this returns only if get() does not wait for it.
    assert await within_deadline(cache.get("key-a")) is key
    assert len(background_tasks()) == 1
    await within_deadline(gate.arrived.wait())
    gate.release.set()
    assert await cache.refresh()
    assert fake.requests == 2


async def test_expiry_follows_the_max_age_the_jwks_sends(
    cache: JWKSCache, fake: JWKSFake, clock: FakeClock
) -> None:
    """A shorter `max-age` on the next response shortens the next lifetime."""
    fake.max_age = 60
    assert await cache.refresh()
    clock.advance(59)
    await cache.get("key-a")
    assert background_tasks() == set()
    clock.advance(1)
    await cache.get("key-a")
    assert len(background_tasks()) == 1
    assert await cache.refresh()
    assert fake.requests == 3


async def test_max_age_below_the_minimum_is_raised_to_min_ttl(
    make_cache: CacheFactory, fake: JWKSFake, clock: FakeClock
) -> None:
    """`max-age=0` does not make every get fetch: the policy's minimum lifetime applies."""
    fake.max_age = 0
    cache = make_cache(policy=CachePolicy(min_ttl=30.0))
    assert await cache.refresh()
    clock.advance(29)
    await cache.get("key-a")
    assert background_tasks() == set()
    clock.advance(1)
    await cache.get("key-a")
    assert len(background_tasks()) == 1
    assert await cache.refresh()
    assert fake.requests == 2


async def test_failed_refresh_is_retried_after_min_ttl(
    cache: JWKSCache, fake: JWKSFake, clock: FakeClock
) -> None:
    """After a failure the keys are kept and the next refresh comes after `min_ttl`."""
    fake.mode = "error"
    assert await cache.refresh() is False
    fake.mode = "ok"
    clock.advance(cache.policy.min_ttl - 1)
    await cache.get("key-a")
    assert background_tasks() == set()
    clock.advance(1)
    await cache.get("key-a")
    assert len(background_tasks()) == 1
    assert await cache.refresh()
    assert fake.requests == 3


async def test_new_key_set_bumps_generation(
    cache: JWKSCache, fake: JWKSFake, jwk_b: dict[str, str]
) -> None:
    """A key set that differs from the last one bumps `generation` once."""
    assert cache.generation == 1
    fake.keys.append(jwk_b)
    assert await cache.refresh()
    assert cache.generation == 2
    assert sorted(cache.keys) == ["key-a", "key-b"]


async def test_identical_key_set_does_not_bump_generation(cache: JWKSCache, fake: JWKSFake) -> None:
    """Fetching the same keys again leaves `generation` alone."""
    assert cache.generation == 1
    fake.keys = [dict(reversed(list(fake.keys[0].items())))]
    assert await cache.refresh()
    assert await cache.refresh()
    assert cache.generation == 1
    assert fake.requests == 3


async def test_same_kid_with_a_new_key_bumps_generation(
    cache: JWKSCache, fake: JWKSFake, other_rsa_key: rsa.RSAPrivateKey
) -> None:
    """A `kid` republished with different numbers is a new key set."""
    fake.keys = [public_jwk(other_rsa_key.public_key(), "key-a")]
    assert await cache.refresh()
    assert cache.generation == 2
    key = await cache.get("key-a")
    assert key is not None
    assert key.public_numbers() == other_rsa_key.public_key().public_numbers()


async def test_oversized_response_is_a_failure_that_keeps_the_old_keys(
    make_cache: CacheFactory,
    fake: JWKSFake,
    jwk_a: dict[str, str],
    jwk_b: dict[str, str],
    jwk_c: dict[str, str],
) -> None:
    """A JWKS over `max_bytes` is refused whole; the keys from before stay."""
    cache = make_cache(policy=CachePolicy(max_bytes=len(document(jwk_a)) + 100))
    assert await cache.refresh()
    fake.keys = [jwk_a, jwk_b, jwk_c]
    assert await cache.refresh() is False
    assert cache.failures == 1
    assert sorted(cache.keys) == ["key-a"]
    assert cache.generation == 1


class ETagJWKS:
    """A JWKS endpoint with an ETag that answers 304 to a matching If-None-Match."""

    def __init__(self, jwk: dict[str, str]) -> None:
        self.body = document(jwk)
        self.etag = '"v1"'
        self.seen: list[str | None] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        if_none_match = request.headers.get("if-none-match")
        self.seen.append(if_none_match)
        headers = {"Cache-Control": "max-age=300", "ETag": self.etag}
        if if_none_match == self.etag:
            return httpx.Response(304, headers=headers)
        return httpx.Response(200, content=self.body, headers=headers)


async def test_not_modified_keeps_the_keys(
    make_cache: CacheFactory, jwk_a: dict[str, str], clock: FakeClock
) -> None:
    """The cache revalidates with `If-None-Match`; a 304 keeps the keys and generation."""
    server = ETagJWKS(jwk_a)
    async with httpx.AsyncClient(transport=httpx.MockTransport(server.handler)) as client:
        cache = make_cache(client=client)
        assert await cache.refresh()
        key = await cache.get("key-a")
        clock.advance(300)
        assert await cache.refresh()
        assert server.seen == [None, '"v1"']
        assert cache.ready
        assert await cache.get("key-a") is key
        assert cache.generation == 1
        assert cache.failures == 0


async def test_not_modified_restarts_the_max_age(
    make_cache: CacheFactory, jwk_a: dict[str, str], clock: FakeClock
) -> None:
    """After a 304 the set is fresh again for the `max-age` the 304 carried."""
    server = ETagJWKS(jwk_a)
    async with httpx.AsyncClient(transport=httpx.MockTransport(server.handler)) as client:
        cache = make_cache(client=client)
        assert await cache.refresh()
        clock.advance(300)
        assert await cache.refresh()
        clock.advance(299)
        await cache.get("key-a")
        assert background_tasks() == set()
        clock.advance(1)
        await cache.get("key-a")
        assert len(background_tasks()) == 1
        assert await cache.refresh()
        assert server.seen == [None, '"v1"', '"v1"']
