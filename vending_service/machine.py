"""The machine's rules: what a caller may see, what it costs, who may change what.

No HTTP here: errors carry data (`vending_service.errors`), routes and views make answers.
Each quota decision is reported to `on_quota` (allowed, refused, fail_open, fail_closed):
the app counts them.
"""

from __future__ import annotations

import logging
import secrets
import time
import unicodedata
from collections.abc import Callable

from shared.errors import StoreUnavailable
from shared.tokens.claims import AccessClaims
from shared.usernames import canonical_username
from vending_service.errors import InvalidPicture, PictureNotFound
from vending_service.pictures import VISIBILITIES, Picture, PictureStore, Upload, check_image
from vending_service.pictures.decoding import DecodeSlots
from vending_service.pictures.images import ImageLimits
from vending_service.quotas import Quota, QuotaExceeded, QuotaStore, quota_day
from vending_service.settings import VendingSettings

__all__ = ["Machine", "clean_title"]

log = logging.getLogger("lanyard.vending")


def _ignore(decision: str) -> None:
    return None


def clean_title(raw: str) -> str:
    """A title as stored: NFC, trimmed, 1-100 characters, no control or unassigned ones."""
    title = unicodedata.normalize("NFC", raw).strip()
    if not 1 <= len(title) <= 100:
        raise InvalidPicture("title must be 1 to 100 characters")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in title):
        raise InvalidPicture("title must not contain control or unassigned characters")
    return title


class Machine:
    """Decides what a token holder may see, and charges their daily quota for it."""

    def __init__(
        self,
        settings: VendingSettings,
        *,
        pictures: PictureStore,
        quotas: QuotaStore,
        clock: Callable[[], float] = time.time,
        on_quota: Callable[[str], None] = _ignore,
    ) -> None:
        self.settings = settings
        self.pictures = pictures
        self.quotas = quotas
        self.clock = clock
        self.on_quota = on_quota
        self.decoders = DecodeSlots(settings.image_decode_concurrency, settings.image_decode_queue)
        self.image_limits = ImageLimits(
            settings.max_image_pixels, settings.max_image_side, 2 * settings.max_upload_bytes
        )

    def _limit(self, caller: AccessClaims) -> int:
        return self.settings.quota_limit(caller.tier)

    def _uncounted(self, caller: AccessClaims) -> Quota:
        """What the `open` failure mode answers while the quota store is down: nothing used."""
        _, resets_at = quota_day(self.clock())
        return Quota(self._limit(caller), 0, resets_at)

    async def _charge(self, caller: AccessClaims, amount: int) -> Quota:
        """Charge the caller's quota, all or nothing (`QuotaExceeded`)."""
        try:
            quota = await self.quotas.charge(caller.sub, amount, self._limit(caller), self.clock())
        except QuotaExceeded:
            self.on_quota("refused")
            raise
        except StoreUnavailable:
            if self.settings.quota_failure_mode != "open":
                self.on_quota("fail_closed")
                raise
            self.on_quota("fail_open")
            log.warning(
                "quota store down: serving %s picture(s) to %s uncounted", amount, caller.sub
            )
            return self._uncounted(caller)
        self.on_quota("allowed")
        return quota

    async def vend(self, caller: AccessClaims, count: int) -> tuple[list[Picture], Quota]:
        """`count` distinct pictures the caller may see, charged all-or-nothing."""
        chosen = await self.pictures.sample_visible(caller.sub, count)
        return chosen, await self._charge(caller, len(chosen))

    async def show(self, caller: AccessClaims, picture_id: str) -> tuple[Picture, Quota]:
        picture = await self.pictures.get_visible(picture_id, caller.sub)
        if picture is None:
            raise PictureNotFound()
        return picture, await self._charge(caller, 1)

    async def image(self, viewer: str, picture_id: str) -> tuple[str, bytes]:
        """The image of a picture `viewer` may see now (asked again on every fetch: a deleted
        or unshared picture stops loading at once). Not charged: the record that carried its
        signed URL was."""
        found = await self.pictures.image(picture_id, viewer)
        if found is None:
            raise PictureNotFound()
        return found

    async def usage(self, caller: AccessClaims) -> Quota:
        try:
            return await self.quotas.usage(caller.sub, self._limit(caller), self.clock())
        except StoreUnavailable:
            if self.settings.quota_failure_mode != "open":
                raise
            return self._uncounted(caller)

    async def upload(self, caller: AccessClaims, upload: Upload) -> Picture:
        title = clean_title(upload.title)
        if upload.visibility not in VISIBILITIES:
            raise InvalidPicture("visibility must be public or private")
        limits = self.image_limits
        checked = await self.decoders.run(lambda: check_image(upload.image, limits))
        picture = Picture(
            id=secrets.token_urlsafe(12),
            title=title,
            owner=caller.sub,  # always the token's subject, never the request's say-so
            visibility=upload.visibility,
            content_type=checked.content_type,
            width=checked.width,
            height=checked.height,
            created_at=self.clock(),
        )
        await self.pictures.add(picture, checked.data)  # as re-encoded: nothing else kept
        return picture

    async def delete(self, caller: AccessClaims, picture_id: str) -> None:
        if not await self.pictures.delete_own(picture_id, caller.sub):
            raise PictureNotFound()

    async def share(self, caller: AccessClaims, picture_id: str, raw_username: str) -> None:
        username = canonical_username(raw_username)
        if not await self.pictures.share(picture_id, caller.sub, username):
            raise PictureNotFound()

    async def unshare(self, caller: AccessClaims, picture_id: str, raw_username: str) -> None:
        username = canonical_username(raw_username)
        if not await self.pictures.unshare(picture_id, caller.sub, username):
            raise PictureNotFound()
