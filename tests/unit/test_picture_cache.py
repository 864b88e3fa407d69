"""`PictureCache`: samples from memory, yet shows each caller exactly what they may see."""

from __future__ import annotations

import asyncio
import random

import pytest

from shared.errors import StoreUnavailable
from tests.support.stores import MemoryPictureStore
from vending_service.pictures import Picture, PictureCache

NOW = 1_700_000_000.0


def picture(picture_id: str, owner: str = "vending", visibility: str = "public") -> Picture:
    return Picture(picture_id, f"cat {picture_id}", owner, visibility, "image/png", 64, 48, NOW)


@pytest.fixture
def store() -> MemoryPictureStore:
    """Twelve public catalogue cats, two private pictures of alice, one shared with bob."""
    pictures = [picture(f"cat-{i:02d}") for i in range(12)]
    pictures += [picture("alice-1", "alice", "private"), picture("alice-2", "alice", "private")]
    memory = MemoryPictureStore(*pictures)
    memory.shares.add(("alice-1", "bob"))
    return memory


@pytest.fixture
def cache(store: MemoryPictureStore) -> PictureCache:
    return PictureCache(store, rng=random.Random(7))


def ids(pictures: list[Picture]) -> set[str]:
    return {p.id for p in pictures}


async def test_sample_holds_distinct_pictures_the_viewer_may_see_and_no_others(
    cache: PictureCache, store: MemoryPictureStore
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
    cache: PictureCache, store: MemoryPictureStore
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


async def test_while_nothing_changes_only_the_version_is_read(
    cache: PictureCache, store: MemoryPictureStore
) -> None:
    """One version read per gallery; the public list once, each caller's own pictures once."""
    for _ in range(10):
        for viewer in ("alice", "bob", "carol"):
            await cache.sample_visible(viewer, 10)

    assert store.version_reads == 30
    assert store.public_loads == 1
    assert store.personal_loads == 3


async def test_an_upload_through_this_process_is_seen_by_the_next_request(
    cache: PictureCache, store: MemoryPictureStore
) -> None:
    """A public upload raises the version: the next gallery reads the list again."""
    await cache.sample_visible("carol", 10)
    await cache.add(picture("new-public", "dave"), b"png")

    assert "new-public" in ids(await cache.sample_visible("carol", 100))


async def test_a_private_upload_is_seen_by_its_owner_only(
    cache: PictureCache, store: MemoryPictureStore
) -> None:
    await cache.sample_visible("dave", 10)
    await cache.add(picture("dave-1", "dave", "private"), b"png")

    assert "dave-1" in ids(await cache.sample_visible("dave", 100))
    assert "dave-1" not in ids(await cache.sample_visible("carol", 100))


async def test_a_delete_through_this_process_is_never_vended_again(
    cache: PictureCache, store: MemoryPictureStore
) -> None:
    """Once `delete_own` returns, the picture is in no sample."""
    await cache.add(picture("gone", "dave"), b"png")
    await cache.sample_visible("carol", 100)

    assert await cache.delete_own("gone", "dave") is True
    for _ in range(20):
        assert "gone" not in ids(await cache.sample_visible("carol", 100))


async def test_another_replicas_writes_are_seen_by_the_next_request(
    cache: PictureCache, store: MemoryPictureStore
) -> None:
    """Uploads, deletes, shares and unshares made through the store directly (as another
    replica makes them) are in, or out of, the very next gallery: no staleness at all."""
    await cache.sample_visible("carol", 10)

    await store.add(picture("elsewhere", "erin"), b"png")
    assert "elsewhere" in ids(await cache.sample_visible("carol", 100))
    assert await store.delete_own("cat-03", "vending") is True
    assert "cat-03" not in ids(await cache.sample_visible("carol", 100))
    assert await store.share("alice-2", "alice", "carol") is True
    assert "alice-2" in ids(await cache.sample_visible("carol", 100))
    assert await store.unshare("alice-2", "alice", "carol") is True
    assert "alice-2" not in ids(await cache.sample_visible("carol", 100))


async def test_a_list_loaded_across_a_write_is_not_kept(
    cache: PictureCache, store: MemoryPictureStore
) -> None:
    """A load that began before an upload finished may miss it: it is used by the request
    that read the older version, but not kept, so a request after the upload reads again."""
    store.hold_loads = asyncio.Event()
    waiting = asyncio.create_task(cache.sample_visible("carol", 10))
    async with asyncio.timeout(5):
        await store.loading.wait()  # the load has taken its snapshot and is held
    await cache.add(picture("during", "dave"), b"png")
    after = asyncio.create_task(cache.sample_visible("carol", 100))
    store.hold_loads.set()
    await waiting

    assert "during" in ids(await after)
    store.hold_loads = None
    assert "during" in ids(await cache.sample_visible("carol", 100))


async def test_the_callers_kept_are_bounded(store: MemoryPictureStore) -> None:
    """Past `max_viewers`, the least recently seen caller's pictures are read again."""
    cache = PictureCache(store, max_viewers=2)
    for viewer in ("alice", "bob", "carol", "alice"):
        await cache.sample_visible(viewer, 1)

    assert store.personal_loads == 4


async def test_requests_in_one_turn_share_one_version_read_sent_after_they_all_arrived(
    cache: PictureCache, store: MemoryPictureStore
) -> None:
    """Galleries asked for in the same turn of the event loop share one version read. It
    is sent after the last of them arrived, so a write made in between (here, between the
    second and third) is seen by all three."""
    await cache.sample_visible("carol", 1)
    reads = store.version_reads

    async def write_behind_the_cache() -> None:
        store.pictures["late"] = picture("late", "erin")
        store.version += 1

    tasks = [
        asyncio.create_task(cache.sample_visible("alice", 100)),
        asyncio.create_task(cache.sample_visible("bob", 100)),
        asyncio.create_task(write_behind_the_cache()),
        asyncio.create_task(cache.sample_visible("carol", 100)),
    ]
    results = await asyncio.gather(*tasks)

    assert store.version_reads == reads + 1
    assert all("late" in ids(chosen) for chosen in results if chosen is not None)


async def test_a_caller_that_gives_up_leaves_the_shared_read_to_the_others(
    cache: PictureCache, store: MemoryPictureStore
) -> None:
    """One request cancelled (its client went away) while waiting: the others still get
    their galleries from the read they shared."""
    leaving = asyncio.create_task(cache.sample_visible("alice", 5))
    staying = asyncio.create_task(cache.sample_visible("bob", 5))
    await asyncio.sleep(0)  # both are waiting for the shared read
    leaving.cancel()

    assert len(await staying) == 5
    with pytest.raises(asyncio.CancelledError):
        await leaving


async def test_a_callers_pictures_loaded_across_a_share_are_not_kept(
    cache: PictureCache, store: MemoryPictureStore
) -> None:
    """Carol's own and shared pictures, read just before alice shares one with her, serve
    the request that read them but are not kept: later requests show the share."""
    await cache.sample_visible("dave", 1)  # the public list is in memory: carol's is not
    store.loading.clear()
    gate = store.hold_loads = asyncio.Event()
    waiting = asyncio.create_task(cache.sample_visible("carol", 100))
    async with asyncio.timeout(5):
        await store.loading.wait()  # carol's pictures are read (none yet), and held
    store.hold_loads = None
    assert await store.share("alice-2", "alice", "carol") is True
    assert "alice-2" in ids(await cache.sample_visible("carol", 100))

    gate.set()  # the stale read finishes: it must not replace what was kept since
    assert "alice-2" not in ids(await waiting)
    assert "alice-2" in ids(await cache.sample_visible("carol", 100))


class SlowFirstVersion(MemoryPictureStore):
    """Its first version read answers only when `gate` opens, with the version it read."""

    def __init__(self, *pictures: Picture) -> None:
        super().__init__(*pictures)
        self.gate = asyncio.Event()
        self.reading = asyncio.Event()
        self.slow_reads = 1

    async def changes(self) -> int:
        self.version_reads += 1
        self.reading.set()
        version = self.version
        if self.slow_reads:
            self.slow_reads -= 1
            await self.gate.wait()
        return version


async def test_a_request_that_arrives_during_a_version_read_waits_for_a_fresh_one() -> None:
    """A version read under way may have begun before a write the next request must see:
    that request is not handed the older answer, it waits for a read of its own."""
    store = SlowFirstVersion(*(picture(f"cat-{i:02d}") for i in range(5)))
    cache = PictureCache(store, rng=random.Random(7))
    early = asyncio.create_task(cache.sample_visible("carol", 100))
    async with asyncio.timeout(5):
        await store.reading.wait()  # the early request's read is under way
    await store.add(picture("new"), b"png")
    late = asyncio.create_task(cache.sample_visible("carol", 100))

    store.gate.set()
    await early
    assert "new" in ids(await late)
    assert store.version_reads == 2


async def test_a_failed_version_read_fails_every_request_that_shared_it(
    cache: PictureCache, store: MemoryPictureStore
) -> None:
    """The store being down reaches each waiting request (as its error: a 503 upstream)."""

    async def down() -> int:
        raise StoreUnavailable("picture store")

    store.changes = down  # type: ignore[method-assign]
    results = await asyncio.gather(
        cache.sample_visible("alice", 5), cache.sample_visible("bob", 5), return_exceptions=True
    )
    assert [type(r) for r in results] == [StoreUnavailable, StoreUnavailable]
