"""The pictures in memory, so that a gallery is sampled in Python, not in SQL.

`ORDER BY random()` over every visible picture, per request, cost most of a `/cats`
answer; so did reading the caller's own and shared pictures on every request. The store
keeps a version that every write to pictures or shares raises in the same transaction
(`picture_changes`), and `PictureCache` keeps, for the version it last read, the list of
public pictures and each recent caller's own and shared ones. A gallery request reads the
version, one primary-key lookup (requests that arrive together share one, through a
`Batcher`); when it has moved, everything kept is dropped and read again.

So a caller sees exactly what the contract says, whichever replica made the change: the
version is read after the request arrived, so every write committed before then (an
upload, a delete, a share, an unshare, through this process or any other) is seen.
"""

from __future__ import annotations

import asyncio
import random
from collections import OrderedDict

from shared.stores.batcher import Batcher, Outcome
from vending_service.pictures.model import Picture
from vending_service.pictures.port import CatalogueSource

__all__ = ["PictureCache"]

# Callers whose own and shared pictures are kept; the least recently seen leave first.
MAX_VIEWERS = 10_000


class PictureCache:
    """A `PictureStore` over `store` that samples from pictures kept in memory."""

    def __init__(
        self,
        store: CatalogueSource,
        *,
        max_viewers: int = MAX_VIEWERS,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.max_viewers = max_viewers
        # A gallery's order is not a secret: the standard generator is fine here.
        self._rng = rng or random.Random()  # noqa: S311
        self._version = -1
        self._public: list[Picture] | None = None
        self._personal: OrderedDict[str, list[Picture]] = OrderedDict()
        self._lock = asyncio.Lock()
        self._version_reads: Batcher[None, int] = Batcher(self._read_version)

    async def _observe(self) -> int:
        """Read the store's version; if it has moved past what is kept, forget it all.

        A read starts after the request asked for it, so each request sees every write
        committed before it arrived; requests that ask while one read is under way share
        the next one.
        """
        version = await self._version_reads.submit(None)
        if version > self._version:
            self._version, self._public = version, None
            self._personal.clear()
        return version

    async def _read_version(self, requests: list[None]) -> list[Outcome[int]]:
        version = await self.store.changes()
        return [version] * len(requests)

    async def _public_pictures(self, version: int) -> list[Picture]:
        public = self._public
        if public is not None:
            return public
        async with self._lock:  # one load at a time; those waiting use its result
            if self._public is not None:
                return self._public
            public = await self.store.public_pictures()
            # Keep it only if no newer version was seen while it loaded.
            if version == self._version:
                self._public = public
            return public

    async def _personal_pictures(self, viewer: str, version: int) -> list[Picture]:
        personal = self._personal.get(viewer)
        if personal is not None:
            self._personal.move_to_end(viewer)
            return personal
        personal = await self.store.personal(viewer)
        if version == self._version:
            self._personal[viewer] = personal
            if len(self._personal) > self.max_viewers:
                self._personal.popitem(last=False)
        return personal

    async def sample_visible(self, viewer: str, count: int) -> list[Picture]:
        """`count` distinct pictures drawn uniformly from those `viewer` may see."""
        version = await self._observe()
        public = await self._public_pictures(version)
        personal = await self._personal_pictures(viewer, version)
        if not personal:  # the usual case: the public pictures are all there is to see
            return self._rng.sample(public, min(count, len(public)))
        # A uniform draw of positions over public + personal.
        total = len(public) + len(personal)
        return [
            public[index] if index < len(public) else personal[index - len(public)]
            for index in self._rng.sample(range(total), min(count, total))
        ]

    # --- the rest of the port: passed through (writes raise the store's version)

    async def add(self, picture: Picture, image: bytes) -> None:
        await self.store.add(picture, image)

    async def add_catalogue(self, pictures: list[tuple[Picture, bytes]]) -> None:
        await self.store.add_catalogue(pictures)

    async def delete_own(self, picture_id: str, owner: str) -> bool:
        return await self.store.delete_own(picture_id, owner)

    async def catalogue_size(self, owner: str) -> int:
        return await self.store.catalogue_size(owner)

    async def get_visible(self, picture_id: str, viewer: str) -> Picture | None:
        return await self.store.get_visible(picture_id, viewer)

    async def image(self, picture_id: str, viewer: str) -> tuple[str, bytes] | None:
        return await self.store.image(picture_id, viewer)

    async def share(self, picture_id: str, owner: str, username: str) -> bool:
        return await self.store.share(picture_id, owner, username)

    async def unshare(self, picture_id: str, owner: str, username: str) -> bool:
        return await self.store.unshare(picture_id, owner, username)

    async def ready(self) -> bool:
        return await self.store.ready()
