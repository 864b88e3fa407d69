"""`check_image`: sizes are checked before decoding; what comes out is our own encoding."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.support.images import GPS_MARK, PAYLOAD, hostile_png, jpeg_with_gps_and_payload
from vending_service.errors import InvalidImage
from vending_service.pictures.images import ImageLimits, check_image


def test_the_issue_15_png_is_refused_from_its_header_alone() -> None:
    """6324 x 6324 is over 16 MP: refused before a pixel is decoded (fast, no memory)."""
    with pytest.raises(InvalidImage, match="too large"):
        check_image(hostile_png(), ImageLimits())


def test_a_rotated_photo_is_stored_upright_without_its_exif() -> None:
    """A 64 x 48 JPEG with EXIF orientation 6 is stored turned, 48 x 64, with no EXIF left
    (orientation, camera) and without its appended payload."""
    image = Image.new("RGB", (64, 48), (0, 0, 255))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to show
    exif[0x010F] = GPS_MARK
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    checked = check_image(buffer.getvalue() + PAYLOAD, ImageLimits())
    assert (checked.width, checked.height) == (48, 64)
    with Image.open(io.BytesIO(checked.data)) as stored:
        assert stored.size == (48, 64)
        assert dict(stored.getexif()) == {}
    assert PAYLOAD not in checked.data


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "GIF", "WEBP"])
def test_every_kind_comes_out_as_itself_with_nothing_after_its_end(kind: str) -> None:
    """Each allowed kind is re-encoded as the same kind, and trailing bytes never survive."""
    buffer = io.BytesIO()
    Image.new("RGBA" if kind != "JPEG" else "RGB", (20, 10), (9, 9, 9)).save(buffer, kind)
    checked = check_image(buffer.getvalue() + PAYLOAD, ImageLimits())
    assert checked.content_type == f"image/{kind.lower()}"
    assert (checked.width, checked.height) == (20, 10)
    assert PAYLOAD not in checked.data
    with Image.open(io.BytesIO(checked.data)) as stored:
        assert stored.format == kind


def test_the_jpeg_helper_really_carries_gps_before_the_check() -> None:
    """The fixture is what it claims: EXIF with GPS and a payload (so the tests prove it)."""
    data = jpeg_with_gps_and_payload()
    assert data.endswith(PAYLOAD)
    with Image.open(io.BytesIO(data)) as image:
        assert 0x8825 in image.getexif()


def test_an_image_that_re_encodes_past_the_byte_limit_is_refused() -> None:
    """Stored bytes are bounded too: noise that our encoder cannot pack under `max_bytes`
    is a 422, not a stored picture many times the upload's size."""
    noise = Image.effect_noise((256, 256), 100).convert("RGB")
    buffer = io.BytesIO()
    noise.save(buffer, format="PNG")
    with pytest.raises(InvalidImage, match="re-encoded"):
        check_image(buffer.getvalue(), ImageLimits(max_bytes=16 * 1024))
