"""The public pictures in memory, so that a gallery is sampled in Python, not in SQL.

`ORDER BY random()` over every visible picture, per request, cost most of a `/cats`
answer. `PictureCache` wraps a store and keeps the list of public pictures for a few
seconds; a sample draws from it and asks the store only for what must be current: the
caller's own and shared pictures, and whether the drawn public ones still exist.

What a caller sees stays what the contract says:

- own and shared pictures come from the store on every request, so a share, an unshare or
  a delete anywhere is seen at once;
- a public picture deleted anywhere is never vended: the store confirms every drawn one,
  and a missing one sends this request to the store's own SQL sample and reloads the list;
- an upload or delete through this process empties the list, so the next request sees it;
- a public upload through *another* replica joins the samples of this one within `ttl`
  seconds (5 by default). That is the one staleness, and only of additions.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from vending_service.pictures import Picture, PictureStore

__all__ = ["CatalogueSource", "PictureCache"]

PUBLIC_TTL = 5.0


class CatalogueSource(PictureStore, Protocol):
    """A `PictureStore` that can also list the public pictures and confirm some of them."""

    async def public_pictures(self) -> list[Picture]: ...

    async def personal_and_public(
        self, viewer: str, ids: Sequence[str]
    ) -> tuple[list[Picture], set[str]]:
        """The non-public pictures `viewer` may see, and which of `ids` are public pictures."""
        ...


class PictureCache:
    """A `PictureStore` over `store` that samples from an in-memory list of public pictures."""

    def __init__(
        self,
        store: CatalogueSource,
        *,
        ttl: float = PUBLIC_TTL,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.ttl = ttl
        self._clock = clock
        # A gallery's order is not a secret: the standard generator is fine here.
        self._rng = rng or random.Random()  # noqa: S311
        self._public: list[Picture] | None = None
        self._expires_at = -math.inf
        self._generation = 0
        self._lock = asyncio.Lock()
        self.loads = 0
        """How many times the public list was read from the store."""

    def invalidate(self) -> None:
        """Forget the public list: the next sample reads it again."""
        self._generation += 1
        self._public = None

    async def _public_pictures(self) -> list[Picture]:
        public = self._public
        if public is not None and self._clock() < self._expires_at:
            return public
        async with self._lock:  # one load at a time; those waiting use its result
            if self._public is not None and self._clock() < self._expires_at:
                return self._public
            generation, started = self._generation, self._clock()
            self.loads += 1
            public = await self.store.public_pictures()
            # A write through this process during the load may have made it stale already.
            if generation == self._generation:
                self._public, self._expires_at = public, started + self.ttl
            return public

    async def sample_visible(self, viewer: str, count: int) -> list[Picture]:
        """`count` distinct pictures drawn uniformly from those `viewer` may see."""
        public = await self._public_pictures()
        drawn = self._rng.sample(public, min(count, len(public)))
        personal, present = await self.store.personal_and_public(viewer, [p.id for p in drawn])
        if len(present) != len(drawn):
            # A drawn public picture is gone (deleted through another replica).
            self.invalidate()
            return await self.store.sample_visible(viewer, count)
        if not personal:  # the usual case: the public pictures are all there is to see
            return drawn
        # A uniform draw of positions over public + personal; the public positions take
        # `drawn` in order, itself a uniform draw, so every subset is equally likely.
        total = len(public) + len(personal)
        chosen, next_public = [], iter(drawn)
        for index in self._rng.sample(range(total), min(count, total)):
            chosen.append(
                next(next_public) if index < len(public) else personal[index - len(public)]
            )
        return chosen

    # --- the rest of the port: passed through, forgetting the list when it changes

    async def add(self, picture: Picture, image: bytes) -> None:
        await self.store.add(picture, image)
        if picture.visibility == "public":
            self.invalidate()

    async def add_catalogue(self, pictures: list[tuple[Picture, bytes]]) -> None:
        await self.store.add_catalogue(pictures)
        self.invalidate()

    async def delete_own(self, picture_id: str, owner: str) -> bool:
        deleted = await self.store.delete_own(picture_id, owner)
        if deleted:
            self.invalidate()
        return deleted

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
