"""`RevocationPublisher`: one content (and ETag) for every replica, signed with the current
key, rebuilt when the store moves or an entry expires."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from auth_service.keys import KeyEncryptionKey, KeyKeeper, KeyRing, Lifecycle
from auth_service.revocations import Revocation, RevocationKind, RevocationPublisher
from shared.tokens.jws import CompactJWS
from shared.tokens.revocations import REVOCATIONS_TYPES, read_revocations
from tests.support.clock import FakeClock
from tests.support.stores import MemoryKeyStore, MemoryRevocationStore

ISSUER = "http://auth.test"


@pytest.fixture
async def ring(clock: FakeClock, rsa_key: rsa.RSAPrivateKey) -> KeyRing:
    ring = KeyRing(MemoryKeyStore(), KeyEncryptionKey(b"k" * 32), Lifecycle(65, 965))
    await KeyKeeper(ring, clock=clock, make_key=lambda bits: rsa_key).bootstrap()
    return ring


def publisher(store: MemoryRevocationStore, ring: KeyRing, clock: FakeClock) -> RevocationPublisher:
    return RevocationPublisher(store, ring, issuer=ISSUER, lifetime=600, clock=clock)


def opened(body: bytes, ring: KeyRing, now: float) -> dict[str, object]:
    jws = CompactJWS.parse(body.decode(), max_bytes=10**7)
    key = ring.opened(jws.kid(REVOCATIONS_TYPES))
    assert key is not None
    return jws.verify(key.private_key.public_key())


async def test_the_list_is_signed_by_the_current_key_and_names_every_live_entry(
    ring: KeyRing, clock: FakeClock
) -> None:
    store = MemoryRevocationStore()
    now = clock()
    await store.add(
        [
            Revocation(RevocationKind.SESSION, "s1", now + 100),
            Revocation(RevocationKind.TOKEN, "j1", now + 100),
            Revocation(RevocationKind.KEY, "k-old", now + 100),
            Revocation(RevocationKind.USER, "bob", now + 100, not_before=now - 5),
            Revocation(RevocationKind.SESSION, "gone", now - 1),
        ]
    )
    body, _ = await publisher(store, ring, clock).document()
    listed = read_revocations(opened(body, ring, now), issuer=ISSUER, now=now)
    assert (set(listed.sids), set(listed.jtis), set(listed.kids)) == ({"s1"}, {"j1"}, {"k-old"})
    assert listed.subs == {"bob": now - 5}
    assert listed.expires_at == int(now) + 600


async def test_two_replicas_give_the_same_etag_for_the_same_content(
    ring: KeyRing, clock: FakeClock
) -> None:
    """Built at different instants (so different bytes), the content is one: one ETag."""
    store = MemoryRevocationStore()
    await store.add([Revocation(RevocationKind.SESSION, "s1", clock() + 100)])
    one_body, one_etag = await publisher(store, ring, clock).document()
    clock.advance(3)
    two_body, two_etag = await publisher(store, ring, clock).document()
    assert one_body != two_body
    assert one_etag == two_etag


async def test_the_list_changes_with_the_store_and_when_an_entry_expires(
    ring: KeyRing, clock: FakeClock
) -> None:
    store = MemoryRevocationStore()
    await store.add([Revocation(RevocationKind.SESSION, "s1", clock() + 10)])
    publish = publisher(store, ring, clock)
    _, first = await publish.document()
    assert (await publish.document())[1] == first  # nothing moved: the same document

    await store.add([Revocation(RevocationKind.SESSION, "s2", clock() + 100)])
    body, second = await publish.document()
    assert second != first
    assert read_revocations(opened(body, ring, clock()), issuer=ISSUER, now=clock()).sids == {
        "s1",
        "s2",
    }

    clock.advance(10)  # s1 can refuse nothing now
    body, third = await publish.document()
    assert third not in (first, second)
    assert read_revocations(opened(body, ring, clock()), issuer=ISSUER, now=clock()).sids == {"s2"}
