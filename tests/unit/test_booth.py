"""`Booth`, the booth's rules, on in-memory stores: no HTTP, no database."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from auth_service.accounts import hash_refresh_token
from auth_service.booth import Booth
from auth_service.errors import (
    InvalidCredentials,
    InvalidRefreshToken,
    PasswordPolicyError,
    Throttled,
    UsernameTaken,
)
from auth_service.keys import KeyRing
from auth_service.passwords import Passwords
from auth_service.revocations import RevocationKind
from shared.errors import InvalidInput, StoreUnavailable
from shared.tokens.claims import ClaimsPolicy
from shared.tokens.verifier import TokenVerifier
from tests.support.booth import MemoryBooth, memory_booth
from tests.support.clock import FakeClock
from tests.support.stores import MemoryAccountStore, MemoryRevocationStore

PASSWORD = "correct horse battery"
ADDRESS = "198.51.100.7"


class RingKeys:
    """The booth's own keys as the verifier's key source."""

    generation = 0

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring

    async def get(self, kid: str) -> RSAPublicKey | None:
        found = self.ring.opened(kid)
        return found.private_key.public_key() if found else None


@pytest.fixture
async def made(
    fast_passwords: Passwords, clock: FakeClock, rsa_key: rsa.RSAPrivateKey
) -> MemoryBooth:
    return await memory_booth(fast_passwords, clock, rsa_key)


@pytest.fixture
def booth(made: MemoryBooth) -> Booth:
    return made.booth


@pytest.fixture
def store(made: MemoryBooth) -> MemoryAccountStore:
    return made.accounts


@pytest.fixture
def revocations(made: MemoryBooth) -> MemoryRevocationStore:
    return made.revocations


async def test_register_stores_the_canonical_name_with_default_scopes(
    booth: Booth, store: MemoryAccountStore
) -> None:
    """A new account is kept under its canonical name, free tier, both scopes, hashed."""
    assert await booth.register("ＢｒＵｃＥ", PASSWORD) == "bruce"
    user = store.users["bruce"]
    assert (user.tier, user.scopes) == ("free", "cats:read cats:write")
    assert PASSWORD not in user.password_hash


@pytest.mark.parametrize("name", ["bruce", "BRUCE", "vending", "Admin"])
async def test_a_taken_or_reserved_name_is_username_taken(booth: Booth, name: str) -> None:
    """Another spelling of an existing name, or a reserved one, cannot be registered."""
    await booth.register("bruce", PASSWORD)
    with pytest.raises(UsernameTaken):
        await booth.register(name, PASSWORD)


async def test_invalid_names_and_passwords_are_invalid_input(booth: Booth) -> None:
    """A name or password outside the rules is invalid input, and nothing is stored."""
    with pytest.raises(InvalidInput):
        await booth.register("@@", PASSWORD)
    with pytest.raises(PasswordPolicyError):
        await booth.register("bruce", "short")


async def test_login_issues_a_token_the_verifier_accepts_with_the_users_claims(
    booth: Booth, clock: FakeClock
) -> None:
    """The access token is RS256 by the booth's key, for the configured audience, with
    the user's subject, scopes and tier, living `access_token_ttl` seconds."""
    await booth.register("bruce", PASSWORD)
    pair = await booth.login("Bruce", PASSWORD, ADDRESS)

    verifier = TokenVerifier(
        RingKeys(booth.keys), ClaimsPolicy("http://auth.test", "lanyard-vending"), clock=clock
    )
    claims = await verifier.verify(pair.access_token)
    assert (claims.sub, claims.tier) == ("bruce", "free")
    assert claims.sid
    assert claims.jti
    assert claims.sid != claims.jti
    assert claims.scopes == {"cats:read", "cats:write"}
    assert claims.exp == int(clock()) + pair.expires_in == int(clock()) + 900


async def test_wrong_password_and_unknown_user_are_the_same_error(booth: Booth) -> None:
    """Both are `InvalidCredentials`: nothing tells an attacker which names exist."""
    await booth.register("bruce", PASSWORD)
    with pytest.raises(InvalidCredentials):
        await booth.login("bruce", "wrong password", ADDRESS)
    with pytest.raises(InvalidCredentials):
        await booth.login("nobody", PASSWORD, ADDRESS)


async def test_five_failures_throttle_the_name_even_for_the_right_password(booth: Booth) -> None:
    """After five failures the name is locked: `Throttled`, with the right password too."""
    await booth.register("bruce", PASSWORD)
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            await booth.login("bruce", "wrong password", ADDRESS)
    with pytest.raises(Throttled) as caught:
        await booth.login("bruce", PASSWORD, ADDRESS)
    assert caught.value.retry_after > 0


async def test_a_store_outage_during_login_counts_no_failure(
    booth: Booth, store: MemoryAccountStore
) -> None:
    """The store failing is not a wrong password: five outages lock nobody out."""
    await booth.register("bruce", PASSWORD)

    async def down(username: str) -> None:
        raise StoreUnavailable("user store")

    real = store.get_user
    store.get_user = down  # type: ignore[method-assign]
    for _ in range(6):
        with pytest.raises(StoreUnavailable):
            await booth.login("bruce", PASSWORD, ADDRESS)
    store.get_user = real  # type: ignore[method-assign]
    assert (await booth.login("bruce", PASSWORD, ADDRESS)).access_token


async def test_refresh_spends_the_token_and_returns_a_new_pair(booth: Booth) -> None:
    """A refresh gives a new pair; its refresh token is new and works next."""
    await booth.register("bruce", PASSWORD)
    first = await booth.login("bruce", PASSWORD, ADDRESS)
    second = await booth.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    assert (await booth.refresh(second.refresh_token)).access_token


async def test_a_refresh_token_used_twice_revokes_its_whole_chain(
    booth: Booth, store: MemoryAccountStore
) -> None:
    """Reuse means theft: the replay is refused and the chain's live token dies with it;
    another login's chain is untouched."""
    await booth.register("bruce", PASSWORD)
    first = await booth.login("bruce", PASSWORD, ADDRESS)
    other = await booth.login("bruce", PASSWORD, ADDRESS)
    second = await booth.refresh(first.refresh_token)

    with pytest.raises(InvalidRefreshToken):
        await booth.refresh(first.refresh_token)
    with pytest.raises(InvalidRefreshToken):
        await booth.refresh(second.refresh_token)
    assert hash_refresh_token(second.refresh_token) in store.revoked
    assert (await booth.refresh(other.refresh_token)).access_token


async def test_logout_revokes_the_chain_and_is_idempotent(booth: Booth) -> None:
    """After logout no token of the chain refreshes; logging out again, or with nonsense,
    is fine."""
    await booth.register("bruce", PASSWORD)
    pair = await booth.login("bruce", PASSWORD, ADDRESS)
    await booth.logout(pair.refresh_token)
    await booth.logout(pair.refresh_token)
    await booth.logout("not a token")
    with pytest.raises(InvalidRefreshToken):
        await booth.refresh(pair.refresh_token)


@pytest.mark.parametrize("token", ["", "x" * 129])
async def test_refresh_tokens_of_impossible_length_are_refused_unread(
    booth: Booth, token: str
) -> None:
    with pytest.raises(InvalidRefreshToken):
        await booth.refresh(token)


async def sid_of(booth: Booth, token: str, clock: FakeClock) -> str:
    verifier = TokenVerifier(
        RingKeys(booth.keys), ClaimsPolicy("http://auth.test", "lanyard-vending"), clock=clock
    )
    sid = (await verifier.verify(token)).sid
    assert sid is not None
    return sid


async def test_logout_lists_the_session_for_as_long_as_its_tokens_live(
    booth: Booth, revocations: MemoryRevocationStore, clock: FakeClock
) -> None:
    """Logging out lists the chain's `sid` until the last access token it issued expires
    (plus the margin); refreshed tokens share the sid, another login's do not."""
    await booth.register("bruce", PASSWORD)
    pair = await booth.login("bruce", PASSWORD, ADDRESS)
    renewed = await booth.refresh(pair.refresh_token)
    other = await booth.login("bruce", PASSWORD, ADDRESS)
    sid = await sid_of(booth, pair.access_token, clock)
    assert await sid_of(booth, renewed.access_token, clock) == sid
    assert await sid_of(booth, other.access_token, clock) != sid

    await booth.logout(renewed.refresh_token)
    [entry] = revocations.entries
    assert (entry.kind, entry.value) == (RevocationKind.SESSION, sid)
    assert entry.expires_at == clock() + 900 + 60

    await booth.logout("not a token")
    assert len(revocations.entries) == 1


async def test_a_reused_refresh_token_lists_its_session(
    booth: Booth, revocations: MemoryRevocationStore, clock: FakeClock
) -> None:
    """Reuse revokes the chain and lists its sid: the access tokens already out die too."""
    await booth.register("bruce", PASSWORD)
    pair = await booth.login("bruce", PASSWORD, ADDRESS)
    await booth.refresh(pair.refresh_token)
    with pytest.raises(InvalidRefreshToken):
        await booth.refresh(pair.refresh_token)
    assert [(e.kind, e.value) for e in revocations.entries] == [
        (RevocationKind.SESSION, await sid_of(booth, pair.access_token, clock))
    ]
