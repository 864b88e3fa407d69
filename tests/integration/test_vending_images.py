"""Images in-process (issue 15, weaknesses 3-5 and point 10): hostile uploads are refused
before decoding and everything stored is re-encoded; images load only through signed,
expiring, per-caller URLs; no `Host` header reaches a response; a stray form field is named."""

from __future__ import annotations

import io
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from PIL import Image, PngImagePlugin
from starlette.types import ASGIApp

from tests.support.clock import FakeClock
from tests.support.images import (
    GPS_MARK,
    PAYLOAD,
    hostile_png,
    image_bytes,
    jpeg_with_gps_and_payload,
)
from tests.support.tokens import TokenMinter

Bearer = Callable[..., dict[str, str]]


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    data: bytes,
    *,
    visibility: str = "private",
    filename: str = "cat.png",
) -> httpx.Response:
    files = {"image": (filename, data, "application/octet-stream")}
    fields = {"title": "My cat", "visibility": visibility}
    return await client.post("/cats", headers=headers, data=fields, files=files)


def with_query(url: str, **changes: str) -> str:
    """`url` with some of its query parameters replaced (or added)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    joined = "&".join(f"{name}={value}" for name, value in query.items())
    return parts._replace(query=joined).geturl()


def assert_forbidden(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 403
    assert not response.content.startswith(b"\x89PNG")


# Weakness 3: hostile images.


async def test_the_issue_15_decompression_bomb_png_is_refused_before_decoding(
    vending: httpx.AsyncClient, bearer: Bearer
) -> None:
    """The 311 KB, 6324 x 6324 16-bit RGBA PNG (40 MP, inside the old limit) is a 422 that
    names the limits, and nothing is stored."""
    bomb = hostile_png()
    assert len(bomb) < 320_000
    response = await upload(vending, bearer("mallory"), bomb)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "16000000 pixels" in response.json()["detail"]
    mine = await vending.get("/cats?count=100", headers=bearer("mallory"))
    assert all(cat["owner"] == "vending" for cat in mine.json()["cats"])


async def test_an_image_wider_than_the_side_limit_is_refused(
    vending: httpx.AsyncClient, bearer: Bearer
) -> None:
    """8193 x 1 pixels is within the pixel limit but past 8192 a side: 422."""
    response = await upload(vending, bearer(), image_bytes("PNG", (8193, 1)))
    assert response.status_code == 422
    assert "8192 pixels a side" in response.json()["detail"]


async def test_an_uploaded_jpeg_is_stored_without_its_exif_gps_or_appended_payload(
    vending: httpx.AsyncClient, bearer: Bearer
) -> None:
    """The stored image is our own encoding: no EXIF (camera, GPS) and not a byte of what
    followed the image's end."""
    original = jpeg_with_gps_and_payload()
    response = await upload(vending, bearer(), original, filename="cat.jpg")
    assert response.status_code == 201, response.text
    served = (await vending.get(response.json()["image_url"])).content
    assert served != original
    assert PAYLOAD not in served
    assert GPS_MARK.encode() not in served
    with Image.open(io.BytesIO(served)) as image:
        assert image.format == "JPEG"
        assert image.size == (64, 48)
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info


async def test_an_uploaded_png_is_stored_without_its_text_chunks_or_appended_payload(
    vending: httpx.AsyncClient, bearer: Bearer
) -> None:
    """PNG text chunks (where tools put GPS and comments) and trailing bytes are dropped."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", GPS_MARK)
    buffer = io.BytesIO()
    Image.new("RGBA", (32, 32), (1, 2, 3, 255)).save(buffer, format="PNG", pnginfo=info)
    response = await upload(vending, bearer(), buffer.getvalue() + PAYLOAD)
    assert response.status_code == 201, response.text
    served = (await vending.get(response.json()["image_url"])).content
    assert PAYLOAD not in served
    assert GPS_MARK.encode() not in served
    with Image.open(io.BytesIO(served)) as image:
        assert image.format == "PNG"
        assert "Comment" not in image.info


# Weakness 4: pictures are metered; images only through signed, expiring, per-caller URLs.


async def test_an_image_url_is_signed_for_its_caller_and_loads_without_a_token(
    vending: httpx.AsyncClient, bearer: Bearer
) -> None:
    """`image_url` names the caller, an expiry within an hour and a signature; fetching it
    needs no Authorization header and costs nothing more."""
    headers = bearer("alice")
    record = (await vending.get("/cats/cat-002", headers=headers)).json()
    query = dict(parse_qsl(urlsplit(record["image_url"]).query))
    assert set(query) == {"sub", "exp", "sig"}
    assert query["sub"] == "alice"
    image = await vending.get(record["image_url"])
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert image.headers["cache-control"] == "private, no-cache"
    assert image.headers["x-content-type-options"] == "nosniff"
    assert image.content.startswith(b"\x89PNG")
    assert (await vending.get("/me", headers=headers)).json()["quota"]["used"] == 1


async def test_an_image_without_a_signature_is_403_even_with_a_valid_token(
    vending: httpx.AsyncClient, bearer: Bearer
) -> None:
    """The bare image path (what issue 15 fetched twenty times without quota) is 403, with
    or without a bearer token."""
    assert_forbidden(await vending.get("/cats/cat-001/image"))
    assert_forbidden(await vending.get("/cats/cat-001/image", headers=bearer()))


async def test_an_image_url_with_an_altered_signature_sub_id_or_expiry_is_403(
    vending: httpx.AsyncClient, bearer: Bearer
) -> None:
    """Every part of the URL is bound by the signature: change one and it is refused."""
    url = (await vending.get("/cats/cat-002", headers=bearer("alice"))).json()["image_url"]
    sig = dict(parse_qsl(urlsplit(url).query))["sig"]
    exp = int(dict(parse_qsl(urlsplit(url).query))["exp"])
    flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
    for altered in (
        with_query(url, sig=flipped),
        with_query(url, sub="bob"),
        with_query(url, exp=str(exp + 60)),
        with_query(url, exp=str(exp - 60)),
        url.replace("/cats/cat-002/", "/cats/cat-003/"),
        with_query(url, extra="1"),
        url + "&sig=" + sig,
        url.split("&sig=")[0],
        url.replace("/cats/cat-002/", "/cats/%C3%A9%F0%9F%90%88/"),
        url.replace("/cats/cat-002/", "/cats/" + "x" * 65 + "/"),
    ):
        assert_forbidden(await vending.get(altered))


async def test_an_expired_image_url_is_403(
    vending: httpx.AsyncClient, bearer: Bearer, clock: FakeClock
) -> None:
    """An image URL works until its expiry (at most an hour) and is 403 after it."""
    url = (await vending.get("/cats/cat-002", headers=bearer("alice"))).json()["image_url"]
    clock.advance(3540)
    assert (await vending.get(url)).status_code == 200
    clock.advance(61)
    response = await vending.get(url)
    assert_forbidden(response)
    assert "expired" in response.json()["detail"]


async def test_a_signed_url_stops_loading_once_the_picture_is_unshared_or_deleted(
    vending: httpx.AsyncClient, bearer: Bearer
) -> None:
    """Visibility is checked again on every fetch: unshared, bob's URL is 404 at once;
    deleted, so is alice's."""
    alice, bob = bearer("alice"), bearer("bob")
    created = (await upload(vending, alice, image_bytes())).json()
    await vending.put(f"/cats/{created['id']}/shares/bob", headers=alice)
    bobs_url = (await vending.get(f"/cats/{created['id']}", headers=bob)).json()["image_url"]
    assert (await vending.get(bobs_url)).status_code == 200
    await vending.delete(f"/cats/{created['id']}/shares/bob", headers=alice)
    assert (await vending.get(bobs_url)).status_code == 404
    assert (await vending.get(created["image_url"])).status_code == 200
    await vending.delete(f"/cats/{created['id']}", headers=alice)
    assert (await vending.get(created["image_url"])).status_code == 404


async def test_a_user_with_no_quota_left_gets_no_new_picture_by_any_route(
    vending: httpx.AsyncClient, bearer: Bearer
) -> None:
    """With the day's 300 used, the gallery and a record are 429, and the image paths of
    pictures never vended to them are 403 with the token, without it, or signed for another
    picture."""
    headers = bearer("carol")
    seen: set[str] = set()
    for _ in range(3):
        batch = (await vending.get("/cats?count=100", headers=headers)).json()["cats"]
        seen.update(cat["id"] for cat in batch)
    assert (await vending.get("/cats?count=1", headers=headers)).status_code == 429
    assert (await vending.get("/cats/cat-001", headers=headers)).status_code == 429
    uploaded = (await upload(vending, bearer("dave"), image_bytes(), visibility="public")).json()
    assert uploaded["id"] not in seen
    one_seen = next(iter(seen))
    own = (await vending.get(f"/cats/{one_seen}", headers=bearer("erin"))).json()["image_url"]
    for path in (
        f"/cats/{uploaded['id']}/image",
        with_query(own.replace(one_seen, uploaded["id"]), sub="carol"),
    ):
        assert_forbidden(await vending.get(path, headers=headers))
    assert (await vending.get(f"/cats/{uploaded['id']}", headers=headers)).status_code == 429


# Weakness 5: every URL the service writes starts with PUBLIC_URL; Host never reaches an answer.


async def test_a_host_header_of_evil_example_never_reaches_a_response(
    minted_vending_app: ASGIApp, minter: TokenMinter
) -> None:
    """With `Host: evil.example`, no status line, header or body of any answer (records,
    upload `Location`, redirects, 404s, 405s, problems) names it."""
    headers = {"Authorization": f"Bearer {minter.mint('alice')}", "Host": "evil.example"}
    transport = httpx.ASGITransport(app=minted_vending_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://evil.example") as client:
        answers = [
            await client.get("/cats?count=3", headers=headers),
            await client.get("/cats/", headers=headers),
            await client.get("/cats/cat-001", headers=headers),
            await client.get("/cats/cat-001/", headers=headers),
            await client.get("/me/", headers=headers),
            await client.get("/cats/cat-001/image", headers=headers),
            await client.get("/nowhere", headers=headers),
            await client.patch("/cats", headers=headers),
            await client.get("/healthz", headers=headers),
            await client.get("/openapi.json", headers=headers),
            await upload(client, headers, image_bytes()),
        ]
    assert answers[-1].status_code == 201
    assert answers[-1].headers["location"].startswith("http://vending.test/cats/")
    for response in answers:
        text = " ".join(f"{k}: {v}" for k, v in response.headers.items()) + response.text
        assert "evil.example" not in text, (response.request.url, response.status_code)
        assert response.status_code < 500


# Point 10: an extra form field is named in a clear problem, not the form parser's words.


@pytest.mark.parametrize("extras", [1, 3, 20])
async def test_an_upload_with_extra_form_fields_is_422_naming_the_fields_it_takes(
    vending: httpx.AsyncClient, bearer: Bearer, extras: int
) -> None:
    """One or many unknown fields: 422 problem+json saying which fields an upload takes."""
    fields = {"title": "x", "visibility": "public"}
    fields.update({f"extra{index}": "y" for index in range(extras)})
    response = await vending.post(
        "/cats",
        headers=bearer(),
        data=fields,
        files={"image": ("c.png", image_bytes(), "image/png")},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    detail = response.json()["detail"]
    assert "image, title and visibility" in detail or "(image)" in detail
    assert "Too many fields" not in detail


async def test_an_upload_with_two_files_is_422_not_the_parsers_message(
    vending: httpx.AsyncClient, bearer: Bearer
) -> None:
    """A second file is refused in our words too."""
    files = [
        ("image", ("a.png", image_bytes(), "image/png")),
        ("image", ("b.png", image_bytes(), "image/png")),
    ]
    response = await vending.post("/cats", headers=bearer(), data={"title": "x"}, files=files)
    assert response.status_code == 422
    assert "Too many files" not in response.json()["detail"]
