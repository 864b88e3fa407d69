"""`Machine`, the vending machine's rules, on in-memory stores: no HTTP, no database."""

from __future__ import annotations

import io
import math

import pytest
from PIL import Image

from shared.errors import StoreUnavailable
from shared.tokens.claims import AccessClaims
from tests.support.clock import FakeClock
from tests.support.stores import MemoryPictureStore, MemoryQuotaStore
from vending_service.errors import (
    InvalidImage,
    InvalidPicture,
    PictureNotFound,
    UnsupportedImage,
)
from vending_service.machine import Machine
from vending_service.pictures import Picture, Upload
from vending_service.quotas import QuotaExceeded
from vending_service.settings import VendingSettings


def caller(sub: str = "alice", tier: str = "free") -> AccessClaims:
    return AccessClaims(sub, frozenset({"cats:read", "cats:write"}), tier, math.inf)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), "orange").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def pictures() -> MemoryPictureStore:
    cats = [
        Picture(f"cat-{i}", f"cat {i}", "vending", "public", "image/png", 8, 8, 1.0)
        for i in range(20)
    ]
    return MemoryPictureStore(*cats)


@pytest.fixture
def quotas() -> MemoryQuotaStore:
    return MemoryQuotaStore()


def machine_for(
    pictures: MemoryPictureStore,
    quotas: MemoryQuotaStore,
    clock: FakeClock,
    **settings: object,
) -> Machine:
    return Machine(
        VendingSettings(quota_free=30, **settings),  # type: ignore[arg-type]
        pictures=pictures,
        quotas=quotas,
        clock=clock,
    )


@pytest.fixture
def machine(pictures: MemoryPictureStore, quotas: MemoryQuotaStore, clock: FakeClock) -> Machine:
    return machine_for(pictures, quotas, clock)


async def test_vend_gives_distinct_pictures_and_charges_as_many(machine: Machine) -> None:
    """Ten distinct pictures, ten charged."""
    chosen, quota = await machine.vend(caller(), 10)
    assert len({p.id for p in chosen}) == 10
    assert (quota.used, quota.remaining) == (10, 20)


async def test_a_vend_past_the_limit_is_refused_whole(machine: Machine) -> None:
    """At 25 of 30, asking for 10 is refused and nothing is charged."""
    await machine.vend(caller(), 20)
    await machine.vend(caller(), 5)
    with pytest.raises(QuotaExceeded) as caught:
        await machine.vend(caller(), 10)
    assert (caught.value.quota.used, caught.value.requested) == (25, 10)
    assert (await machine.usage(caller())).used == 25


async def test_premium_callers_get_the_premium_limit(machine: Machine) -> None:
    assert (await machine.usage(caller(tier="premium"))).limit == 3000


async def test_a_picture_the_caller_may_not_see_is_not_found_and_not_charged(
    machine: Machine, pictures: MemoryPictureStore
) -> None:
    """Someone else's private picture looks exactly like a missing one, and costs nothing."""
    await pictures.add(Picture("secret", "mine", "bob", "private", "image/png", 8, 8, 1.0), b"png")
    for picture_id in ("secret", "missing"):
        with pytest.raises(PictureNotFound):
            await machine.show(caller(), picture_id)
    assert (await machine.usage(caller())).used == 0
    picture, quota = await machine.show(caller("bob"), "secret")
    assert (picture.id, quota.used) == ("secret", 1)


async def test_an_upload_belongs_to_the_caller_with_what_decoding_found(
    machine: Machine,
) -> None:
    """The owner is the token's subject; type and size come from the decoded image."""
    picture = await machine.upload(caller(), Upload(" My cat ", "private", png()))
    assert (picture.owner, picture.title, picture.visibility) == ("alice", "My cat", "private")
    assert (picture.content_type, picture.width, picture.height) == ("image/png", 4, 3)
    shown, _ = await machine.show(caller(), picture.id)
    assert shown == picture


@pytest.mark.parametrize(
    ("upload", "error"),
    [
        (Upload("", "private", b""), InvalidPicture),
        (Upload("x" * 101, "private", b""), InvalidPicture),
        (Upload("bell\u0007", "private", b""), InvalidPicture),
        (Upload("cat", "secret", b""), InvalidPicture),
        (Upload("cat", "public", b"%PDF-1.7 not a picture"), UnsupportedImage),
        (Upload("cat", "public", png()[:-20]), InvalidImage),
    ],
    ids=["empty title", "long title", "control", "visibility", "not an image", "truncated"],
)
async def test_uploads_breaking_a_rule_are_refused_and_nothing_is_stored(
    machine: Machine, pictures: MemoryPictureStore, upload: Upload, error: type[Exception]
) -> None:
    before = dict(pictures.pictures)
    with pytest.raises(error):
        await machine.upload(caller(), upload)
    assert pictures.pictures == before


async def test_only_the_owner_shares_unshares_or_deletes(machine: Machine) -> None:
    """Others get `PictureNotFound` for all three; the owner's share shows the picture."""
    picture = await machine.upload(caller(), Upload("cat", "private", png()))
    for act in (machine.share, machine.unshare):
        with pytest.raises(PictureNotFound):
            await act(caller("mallory"), picture.id, "mallory")
    with pytest.raises(PictureNotFound):
        await machine.delete(caller("mallory"), picture.id)

    await machine.share(caller(), picture.id, "Bob")
    assert (await machine.show(caller("bob"), picture.id))[0] == picture
    await machine.unshare(caller(), picture.id, "bob")
    with pytest.raises(PictureNotFound):
        await machine.show(caller("bob"), picture.id)


class DownQuotas(MemoryQuotaStore):
    async def charge(self, subject: str, amount: int, limit: int, now: float) -> object:  # type: ignore[override]
        raise StoreUnavailable("quota store")

    async def usage(self, subject: str, limit: int, now: float) -> object:  # type: ignore[override]
        raise StoreUnavailable("quota store")


async def test_with_the_quota_store_down_closed_refuses_and_open_serves_uncounted(
    pictures: MemoryPictureStore, clock: FakeClock
) -> None:
    """`closed` (the default) passes the outage on; `open` vends with nothing used."""
    closed = machine_for(pictures, DownQuotas(), clock)
    with pytest.raises(StoreUnavailable):
        await closed.vend(caller(), 3)
    with pytest.raises(StoreUnavailable):
        await closed.usage(caller())

    open_ = machine_for(pictures, DownQuotas(), clock, quota_failure_mode="open")
    chosen, quota = await open_.vend(caller(), 3)
    assert (len(chosen), quota.used, quota.limit) == (3, 0, 30)
    assert (await open_.usage(caller())).used == 0
