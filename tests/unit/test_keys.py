"""Signing keys: the timeline every replica computes, the lifecycle rules, the KEK."""

from __future__ import annotations

import asyncio
import json
import stat
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from auth_service.keys import (
    KeyEncryptionKey,
    KeyKeeper,
    KeyRing,
    KeyState,
    KeyVaultError,
    LastSigningKey,
    Lifecycle,
    NoSigningKey,
    UnknownKid,
)
from auth_service.keys.ring import seal, thumbprint
from auth_service.keys.vault import new_private_key
from tests.support.clock import FakeClock
from tests.support.stores import MemoryKeyStore

LIFECYCLE = Lifecycle(lead=65.0, linger=965.0)
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


@pytest.fixture(scope="module")
def spare_keys() -> list[rsa.RSAPrivateKey]:
    """RSA keys made once for the module: generating them is the slow part."""
    return [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(4)]


@pytest.fixture
def kek() -> KeyEncryptionKey:
    return KeyEncryptionKey(b"k" * 32)


@pytest.fixture
def store() -> MemoryKeyStore:
    return MemoryKeyStore()


@pytest.fixture
def keeper(
    store: MemoryKeyStore,
    kek: KeyEncryptionKey,
    clock: FakeClock,
    spare_keys: list[rsa.RSAPrivateKey],
) -> KeyKeeper:
    supply = iter(spare_keys * 3)
    return KeyKeeper(
        KeyRing(store, kek, LIFECYCLE),
        interval=3600,
        clock=clock,
        make_key=lambda bits: next(supply),
    )


def states(keeper: KeyKeeper, now: float) -> dict[str, KeyState]:
    return {p.record.kid: p.state for p in keeper.ring.positions(now)}


def published(keeper: KeyKeeper, now: float) -> list[str]:
    body, _ = keeper.ring.jwks(now)
    return [key["kid"] for key in json.loads(body)["keys"]]


async def test_a_first_start_makes_a_key_that_signs_at_once(
    keeper: KeyKeeper, clock: FakeClock
) -> None:
    await keeper.bootstrap()
    signer = keeper.ring.signing(clock())
    assert published(keeper, clock()) == [signer.kid]
    await keeper.bootstrap()  # a second replica starting finds it and makes none
    assert len(keeper.ring.timeline.records) == 1


async def test_key_files_from_before_the_store_are_imported_the_last_signing(
    keeper: KeyKeeper, clock: FakeClock, spare_keys: list[rsa.RSAPrivateKey]
) -> None:
    """An empty store takes the old key files: the newest signs, the others stay published."""
    old, new = spare_keys[2], spare_keys[3]
    await keeper.bootstrap([old, new])
    now = clock()
    assert keeper.ring.signing(now).private_key.private_numbers() == new.private_numbers()
    assert sorted(states(keeper, now).values(), key=lambda s: s.value) == [
        KeyState.CURRENT,
        KeyState.PREVIOUS,
    ]


async def test_a_rotated_key_is_published_before_it_signs_and_then_takes_over(
    keeper: KeyKeeper, clock: FakeClock
) -> None:
    """Through the lead the old key signs and both are published; then the new one signs
    and the old one stays published through its linger, then leaves."""
    await keeper.bootstrap()
    old = keeper.ring.signing(clock()).kid
    rotation = await keeper.rotate()
    new = rotation.record.kid
    assert rotation.created
    assert rotation.record.activates_at == clock() + LIFECYCLE.lead

    clock.advance(LIFECYCLE.lead - 1)
    assert keeper.ring.signing(clock()).kid == old
    assert states(keeper, clock()) == {old: KeyState.CURRENT, new: KeyState.NEXT}
    assert sorted(published(keeper, clock())) == sorted([old, new])

    clock.advance(1)
    assert keeper.ring.signing(clock()).kid == new
    assert states(keeper, clock())[old] is KeyState.PREVIOUS

    clock.advance(LIFECYCLE.linger - 1)
    assert sorted(published(keeper, clock())) == sorted([old, new])
    clock.advance(1)
    assert published(keeper, clock()) == [new]
    assert states(keeper, clock())[old] is KeyState.EXPIRED


async def test_a_second_rotation_while_one_waits_changes_nothing(
    keeper: KeyKeeper, clock: FakeClock
) -> None:
    await keeper.bootstrap()
    first = await keeper.rotate()
    clock.advance(10)
    second = await keeper.rotate()
    assert (second.record, second.created) == (first.record, False)


async def test_two_rotations_at_once_leave_one_coherent_next_key(
    store: MemoryKeyStore, kek: KeyEncryptionKey, clock: FakeClock, keeper: KeyKeeper
) -> None:
    """Two replicas rotating at the same moment: one key is stored, both report it."""
    await keeper.bootstrap()
    other = KeyKeeper(KeyRing(store, kek, LIFECYCLE), clock=clock, make_key=keeper.make_key)
    one, two = await asyncio.gather(keeper.rotate(), other.rotate())
    assert one.record.kid == two.record.kid
    assert [one.created, two.created].count(True) == 1
    assert [p.state for p in keeper.ring.positions(clock())].count(KeyState.NEXT) == 1


async def test_the_schedule_rotates_so_each_key_signs_for_the_interval(
    keeper: KeyKeeper, clock: FakeClock
) -> None:
    """With an interval of an hour, a next key is made an hour less the lead after the
    current one began signing, so it signs an hour after; 0 means never."""
    await keeper.bootstrap()
    started = clock()
    clock.advance(3600 - LIFECYCLE.lead - 1)
    assert await keeper.rotate_if_due() is None
    clock.advance(1)
    rotation = await keeper.rotate_if_due()
    assert rotation is not None
    assert rotation.record.activates_at == started + 3600
    assert await keeper.rotate_if_due() is None  # one waits already

    keeper.interval = 0
    clock.advance(10 * 3600)
    assert await keeper.rotate_if_due() is None


async def test_retiring_a_key_takes_it_out_at_once_and_the_previous_one_signs(
    keeper: KeyKeeper, clock: FakeClock
) -> None:
    await keeper.bootstrap()
    old = keeper.ring.signing(clock()).kid
    new = (await keeper.rotate()).record.kid
    clock.advance(LIFECYCLE.lead)
    assert keeper.ring.signing(clock()).kid == new

    await keeper.retire(new)
    assert keeper.ring.signing(clock()).kid == old
    assert published(keeper, clock()) == [old]
    assert states(keeper, clock())[new] is KeyState.RETIRED


async def test_retiring_an_unknown_kid_is_refused(keeper: KeyKeeper) -> None:
    await keeper.bootstrap()
    with pytest.raises(UnknownKid):
        await keeper.retire("no-such-kid")


async def test_the_only_signer_is_retired_only_with_force_which_makes_a_fresh_key_first(
    keeper: KeyKeeper, clock: FakeClock
) -> None:
    await keeper.bootstrap()
    only = keeper.ring.signing(clock()).kid
    with pytest.raises(LastSigningKey):
        await keeper.retire(only)
    assert keeper.ring.signing(clock()).kid == only

    await keeper.retire(only, force=True)
    fresh = keeper.ring.signing(clock()).kid
    assert fresh != only
    assert published(keeper, clock()) == [fresh]


async def test_a_key_sealed_under_another_kek_never_signs_and_is_never_published(
    store: MemoryKeyStore,
    keeper: KeyKeeper,
    clock: FakeClock,
    spare_keys: list[rsa.RSAPrivateKey],
) -> None:
    """A foreign row (another KEK) is skipped and counted, even when it would be newest."""
    await keeper.bootstrap()
    ours = keeper.ring.signing(clock()).kid
    foreign = seal(
        spare_keys[3],
        KeyEncryptionKey(b"x" * 32),
        generation=9,
        created_at=clock(),
        activates_at=clock(),
    )
    await store.add(foreign)
    await keeper.ring.refresh()
    await keeper.ring.refresh()
    assert keeper.ring.signing(clock()).kid == ours
    assert published(keeper, clock()) == [ours]
    assert keeper.ring.skipped == 1


async def test_damaged_rows_are_skipped_never_crashing_the_ring(
    store: MemoryKeyStore,
    kek: KeyEncryptionKey,
    keeper: KeyKeeper,
    clock: FakeClock,
    spare_keys: list[rsa.RSAPrivateKey],
) -> None:
    """Flipped bytes, a swapped public half, a kid that is not the key's, a public half that
    is not JSON: each row is skipped and counted, and the ring still signs."""
    await keeper.bootstrap()
    good = seal(spare_keys[2], kek, generation=7, created_at=0, activates_at=0)
    other = seal(spare_keys[3], kek, generation=8, created_at=0, activates_at=0)
    flipped = bytes([good.wrapped[0] ^ 1]) + good.wrapped[1:]
    for damaged in [
        replace(good, generation=20, wrapped=flipped),
        replace(good, kid="b", generation=21, public_jwk=other.public_jwk),
        replace(other, kid="c", generation=22),
        replace(other, generation=23, public_jwk="{not json"),
    ]:
        assert await store.add(damaged)
    await keeper.ring.refresh()
    assert keeper.ring.skipped == 4
    assert len(published(keeper, clock())) == 1
    assert keeper.ring.signing(clock()).kid not in {good.kid, other.kid, "b", "c"}


async def test_no_signing_key_at_all_is_said_as_much(kek: KeyEncryptionKey) -> None:
    ring = KeyRing(MemoryKeyStore(), kek, LIFECYCLE)
    with pytest.raises(NoSigningKey):
        ring.signing(0.0)


async def test_the_jwks_holds_public_members_only(keeper: KeyKeeper, clock: FakeClock) -> None:
    await keeper.bootstrap()
    await keeper.rotate()
    for key in json.loads(keeper.ring.jwks(clock())[0])["keys"]:
        assert set(key) == {"kty", "use", "alg", "kid", "n", "e"}
        assert not PRIVATE_MEMBERS & set(key)


def test_a_wrapped_key_opens_only_for_its_own_kid_and_kek(
    kek: KeyEncryptionKey, spare_keys: list[rsa.RSAPrivateKey]
) -> None:
    wrapped = kek.wrap("kid-1", spare_keys[0])
    assert kek.unwrap("kid-1", wrapped).private_numbers() == spare_keys[0].private_numbers()
    with pytest.raises(KeyVaultError):
        kek.unwrap("kid-2", wrapped)
    with pytest.raises(KeyVaultError):
        KeyEncryptionKey(b"y" * 32).unwrap("kid-1", wrapped)
    assert b"PRIVATE" not in wrapped


def test_the_kek_file_is_made_once_mode_0600_in_a_0700_folder(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "kek"
    assert KeyEncryptionKey.create(path) is True
    first = path.read_text()
    assert KeyEncryptionKey.create(path) is False
    assert path.read_text() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert KeyEncryptionKey.read(path).id == KeyEncryptionKey.read(path).id
    assert first.strip() not in repr(KeyEncryptionKey.read(path))


@pytest.mark.parametrize("content", ["", "not base64 !", "c2hvcnQ"])
def test_an_unusable_kek_file_is_refused_with_its_name(tmp_path: Path, content: str) -> None:
    path = tmp_path / "kek"
    path.write_text(content)
    with pytest.raises(KeyVaultError, match=r"kek|32 bytes"):
        KeyEncryptionKey.read(path)


def _small_key() -> rsa.RSAPrivateKey:
    # Only a kid's first character matters here: small keys are drawn quickly.
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505


def test_a_new_key_never_has_a_kid_an_operator_cannot_type_after_keys_retire() -> None:
    """A drawn key whose thumbprint begins with "-" (argparse would read it as an option)
    is drawn again."""
    dashed = next(key for key in iter(_small_key, None) if thumbprint(key).startswith("-"))
    plain = next(key for key in iter(_small_key, None) if not thumbprint(key).startswith("-"))
    drawn = iter([dashed, plain])
    assert new_private_key(1024, generate=lambda bits: next(drawn)) is plain
