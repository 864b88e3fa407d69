"""`PictureCache`: samples from memory, yet shows each caller exactly what they may see."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence

import pytest

from shared.testing import FakeClock
from vending_service.picture_cache import PUBLIC_TTL, PictureCache
from vending_service.pictures import Picture

NOW = 1_700_000_000.0


def picture(picture_id: str, owner: str = "vending", visibility: str = "public") -> Picture:
    return Picture(picture_id, f"cat {picture_id}", owner, visibility, "image/png", 64, 48, NOW)


class MemoryPictures:
    """A `CatalogueSource` in memory, with the visibility rules of the SQL store. Writing
    to it directly is what another replica does behind the cache's back."""

    def __init__(self, *pictures: Picture) -> None:
        self.pictures = {p.id: p for p in pictures}
        self.shares: set[tuple[str, str]] = set()
        self.public_loads = 0
        self.sql_samples = 0
        self.hold_loads: asyncio.Event | None = None
        self.loading = asyncio.Event()

    def visible(self, viewer: str) -> list[Picture]:
        return [
            p
            for p in self.pictures.values()
            if p.visibility == "public" or p.owner == viewer or (p.id, viewer) in self.shares
        ]

    async def public_pictures(self) -> list[Picture]:
        self.public_loads += 1
        snapshot = [p for p in self.pictures.values() if p.visibility == "public"]
        self.loading.set()
        if self.hold_loads is not None:
            await self.hold_loads.wait()
        return snapshot

    async def personal_and_public(
        self, viewer: str, ids: Sequence[str]
    ) -> tuple[list[Picture], set[str]]:
        personal = [p for p in self.visible(viewer) if p.visibility != "public"]
        public = {i for i in ids if i in self.pictures and self.pictures[i].visibility == "public"}
        return personal, public

    async def sample_visible(self, viewer: str, count: int) -> list[Picture]:
        self.sql_samples += 1
        visible = self.visible(viewer)
        return random.sample(visible, min(count, len(visible)))

    async def add(self, picture: Picture, image: bytes) -> None:
        self.pictures[picture.id] = picture

    async def add_catalogue(self, pictures: list[tuple[Picture, bytes]]) -> None:
        for item, _ in pictures:
            self.pictures.setdefault(item.id, item)

    async def catalogue_size(self, owner: str) -> int:
        return sum(p.owner == owner for p in self.pictures.values())

    async def get_visible(self, picture_id: str, viewer: str) -> Picture | None:
        return next((p for p in self.visible(viewer) if p.id == picture_id), None)

    async def image(self, picture_id: str, viewer: str) -> tuple[str, bytes] | None:
        found = await self.get_visible(picture_id, viewer)
        return None if found is None else (found.content_type, b"png")

    async def delete_own(self, picture_id: str, owner: str) -> bool:
        found = self.pictures.get(picture_id)
        if found is None or found.owner != owner:
            return False
        del self.pictures[picture_id]
        self.shares = {s for s in self.shares if s[0] != picture_id}
        return True

    async def share(self, picture_id: str, owner: str, username: str) -> bool:
        found = self.pictures.get(picture_id)
        if found is None or found.owner != owner:
            return False
        self.shares.add((picture_id, username))
        return True

    async def unshare(self, picture_id: str, owner: str, username: str) -> bool:
        found = self.pictures.get(picture_id)
        if found is None or found.owner != owner:
            return False
        self.shares.discard((picture_id, username))
        return True

    async def ready(self) -> bool:
        return True


@pytest.fixture
def store() -> MemoryPictures:
    """Twelve public catalogue cats, two private pictures of alice, one shared with bob."""
    pictures = [picture(f"cat-{i:02d}") for i in range(12)]
    pictures += [picture("alice-1", "alice", "private"), picture("alice-2", "alice", "private")]
    memory = MemoryPictures(*pictures)
    memory.shares.add(("alice-1", "bob"))
    return memory


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def cache(store: MemoryPictures, clock: FakeClock) -> PictureCache:
    return PictureCache(store, clock=clock, rng=random.Random(7))


def ids(pictures: list[Picture]) -> set[str]:
    return {p.id for p in pictures}


async def test_sample_holds_distinct_pictures_the_viewer_may_see_and_no_others(
    cache: PictureCache, store: MemoryPictures
) -> None:
    """Every sample is `count` distinct visible pictures; others' private ones never appear."""
    for viewer in ("alice", "bob", "carol"):
        visible = ids(store.visible(viewer))
        for count in (1, 5, 10, 13):
            for _ in range(20):
                chosen = await cache.sample_visible(viewer, count)
                assert len(chosen) == min(count, len(visible))
                assert len(ids(chosen)) == len(chosen)
                assert ids(chosen) <= visible


async def test_asking_for_more_than_is_visible_gives_everything_once(
    cache: PictureCache, store: MemoryPictures
) -> None:
    """A sample as large as the visible set is the visible set: public, own and shared."""
    assert ids(await cache.sample_visible("alice", 100)) == ids(store.visible("alice"))
    assert ids(await cache.sample_visible("bob", 100)) == ids(store.visible("bob"))
    assert "alice-2" not in ids(await cache.sample_visible("bob", 100))


async def test_every_visible_picture_can_be_drawn(cache: PictureCache) -> None:
    """Single draws reach public, own and shared pictures alike (none is left out)."""
    seen: set[str] = set()
    for _ in range(400):
        seen |= ids(await cache.sample_visible("bob", 1))
    assert seen == {f"cat-{i:02d}" for i in range(12)} | {"alice-1"}


async def test_the_public_list_is_read_once_per_ttl(
    cache: PictureCache, store: MemoryPictures, clock: FakeClock
) -> None:
    """Within the TTL samples use the list in memory; after it, the next sample reloads."""
    for _ in range(10):
        await cache.sample_visible("carol", 10)
    assert store.public_loads == 1

    clock.advance(PUBLIC_TTL + 1)
    await cache.sample_visible("carol", 10)
    assert store.public_loads == 2


async def test_an_upload_through_this_process_is_seen_by_the_next_request(
    cache: PictureCache, store: MemoryPictures
) -> None:
    """A public upload empties the list at once; no TTL stands between it and a gallery."""
    await cache.sample_visible("carol", 10)
    await cache.add(picture("new-public", "dave"), b"png")

    assert "new-public" in ids(await cache.sample_visible("carol", 100))


async def test_a_private_upload_is_seen_by_its_owner_and_keeps_the_public_list(
    cache: PictureCache, store: MemoryPictures
) -> None:
    """A private upload does not touch the public list, and its owner sees it at once."""
    await cache.sample_visible("dave", 10)
    await cache.add(picture("dave-1", "dave", "private"), b"png")

    assert "dave-1" in ids(await cache.sample_visible("dave", 100))
    assert "dave-1" not in ids(await cache.sample_visible("carol", 100))
    assert store.public_loads == 1


async def test_a_delete_through_this_process_is_never_vended_again(
    cache: PictureCache, store: MemoryPictures
) -> None:
    """Once `delete_own` returns, the picture is in no sample."""
    await cache.add(picture("gone", "dave"), b"png")
    await cache.sample_visible("carol", 100)

    assert await cache.delete_own("gone", "dave") is True
    for _ in range(20):
        assert "gone" not in ids(await cache.sample_visible("carol", 100))


async def test_a_public_picture_deleted_by_another_replica_is_never_vended(
    cache: PictureCache, store: MemoryPictures
) -> None:
    """Deleted behind the cache's back: the store confirms every drawn picture, so a gone
    one sends the request to the store's own sample, and the list is read again."""
    await cache.sample_visible("carol", 10)
    del store.pictures["cat-03"]

    for _ in range(30):
        assert "cat-03" not in ids(await cache.sample_visible("carol", 12))
    assert store.sql_samples >= 1
    assert store.public_loads == 2


async def test_shares_and_unshares_by_another_replica_are_seen_at_once(
    cache: PictureCache, store: MemoryPictures
) -> None:
    """Own and shared pictures come from the store on every request: no staleness."""
    await cache.sample_visible("carol", 10)
    store.shares.add(("alice-2", "carol"))
    assert "alice-2" in ids(await cache.sample_visible("carol", 100))

    store.shares.discard(("alice-2", "carol"))
    assert "alice-2" not in ids(await cache.sample_visible("carol", 100))


async def test_a_public_upload_by_another_replica_waits_at_most_the_ttl(
    cache: PictureCache, store: MemoryPictures, clock: FakeClock
) -> None:
    """The one staleness, and the documented one: another replica's public upload joins
    the samples of this one within the TTL."""
    await cache.sample_visible("carol", 10)
    store.pictures["elsewhere"] = picture("elsewhere", "erin")

    assert "elsewhere" not in ids(await cache.sample_visible("carol", 100))
    clock.advance(PUBLIC_TTL)
    assert "elsewhere" in ids(await cache.sample_visible("carol", 100))


async def test_a_list_loaded_across_a_local_upload_is_not_kept(
    cache: PictureCache, store: MemoryPictures
) -> None:
    """A load that began before an upload finished may miss it: it is used by the requests
    that waited for it, but not kept, so a request after the upload reads again."""
    store.hold_loads = asyncio.Event()
    waiting = asyncio.create_task(cache.sample_visible("carol", 10))
    await store.loading.wait()  # the load has taken its snapshot and is held
    await cache.add(picture("during", "dave"), b"png")
    store.hold_loads.set()
    await waiting

    store.hold_loads = None
    assert "during" in ids(await cache.sample_visible("carol", 100))
