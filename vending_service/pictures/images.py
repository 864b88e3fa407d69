"""Checking an uploaded picture: decode it for real, trust only what decoding says, and keep
only what we encode ourselves.

A hostile image is small on the wire and huge once decoded (issue 15: 311 KB of PNG is
6324 x 6324 16-bit RGBA, 40 MP). So the size in the header is checked against our own
limits (`MAX_IMAGE_PIXELS`, `MAX_IMAGE_SIDE`) before a single pixel is decoded, and what is
stored is the decoded pixels encoded again: no EXIF/GPS block, no text chunk, no ICC profile,
no bytes appended after the image's end survive. Animated GIF and WebP keep their first frame.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from vending_service.errors import InvalidImage, UnsupportedImage

__all__ = ["ALLOWED", "CheckedImage", "ImageLimits", "check_image"]

ALLOWED = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
# The modes each encoder writes as they are; any other is converted first.
_KEEP_MODES = {
    "PNG": frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I;16"}),
    "JPEG": frozenset({"L", "RGB", "CMYK"}),
    "GIF": frozenset({"1", "L", "P"}),
    "WEBP": frozenset({"RGB", "RGBA"}),
}
_CONVERT_TO = {"PNG": "RGBA", "JPEG": "RGB", "GIF": "P", "WEBP": "RGBA"}
_SAVE_OPTIONS: dict[str, dict[str, object]] = {
    "PNG": {"compress_level": 3},  # zlib's fast strategy: a third of level 6's time
    "JPEG": {"quality": 90},
    "GIF": {},
    "WEBP": {"quality": 90},
}
_DECODE_ERRORS = (
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
)


@dataclass(frozen=True, slots=True)
class ImageLimits:
    """How large an image may be once decoded (`MAX_IMAGE_PIXELS`, `MAX_IMAGE_SIDE`), and
    once encoded again (`max_bytes`: twice `MAX_UPLOAD_BYTES`, so that a well-packed upload
    cannot become a much larger stored one)."""

    max_pixels: int = 16_000_000
    max_side: int = 8192
    max_bytes: int = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class CheckedImage:
    """An image that decoded within the limits, and its bytes as we encoded them."""

    content_type: str
    width: int
    height: int
    data: bytes


def _kind(data: bytes) -> str:
    try:
        with Image.open(io.BytesIO(data), formats=None) as probe:
            kind = probe.format
    except UnidentifiedImageError:
        raise UnsupportedImage() from None
    except _DECODE_ERRORS:
        raise InvalidImage() from None
    if kind not in ALLOWED:
        raise UnsupportedImage()
    return kind


def _reencode(image: Image.Image, kind: str) -> bytes:
    image.info.clear()  # EXIF, XMP, ICC, text chunks, comments: none is written again
    if image.mode not in _KEEP_MODES[kind]:
        image = image.convert(_CONVERT_TO[kind])
    out = io.BytesIO()
    image.save(out, format=kind, **_SAVE_OPTIONS[kind])
    return out.getvalue()


def check_image(data: bytes, limits: ImageLimits) -> CheckedImage:
    """Identify `data`, check its size, decode it, and encode it again. CPU-bound: call it
    from a worker thread, through `DecodeSlots`.

    Not an image, or a kind not allowed -> `UnsupportedImage`; an allowed kind that does
    not decode, or is larger than `limits` (checked before decoding) -> `InvalidImage`.
    """
    kind = _kind(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                width, height = image.size
                if (
                    width > limits.max_side
                    or height > limits.max_side
                    or width * height > limits.max_pixels
                ):
                    raise InvalidImage(
                        f"the image is too large once decoded: at most {limits.max_pixels} "
                        f"pixels and {limits.max_side} pixels a side"
                    )
                image.load()  # the first frame only, for animations
                ImageOps.exif_transpose(image, in_place=True)  # shown as the camera meant
                encoded = _reencode(image, kind)
                width, height = image.size
    except InvalidImage:
        raise
    except _DECODE_ERRORS:
        raise InvalidImage() from None
    if len(encoded) > limits.max_bytes:
        raise InvalidImage(f"the image takes more than {limits.max_bytes} bytes once re-encoded")
    return CheckedImage(ALLOWED[kind], width, height, encoded)
