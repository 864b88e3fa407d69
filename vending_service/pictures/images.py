"""Checking an uploaded picture: decode it for real, and trust only what decoding says."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from vending_service.errors import InvalidImage, UnsupportedImage

__all__ = ["ALLOWED", "CheckedImage", "check_image"]

ALLOWED = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
MAX_SIDE = 10_000


@dataclass(frozen=True, slots=True)
class CheckedImage:
    content_type: str
    width: int
    height: int


def check_image(data: bytes, *, max_pixels: int) -> CheckedImage:
    """Identify and fully decode `data`. CPU-bound: call it from a worker thread.

    Not an image, or a kind not allowed -> `UnsupportedImage`; an allowed kind that does
    not decode, or is too large once decoded (a decompression bomb) -> `InvalidImage`.
    """
    # Our own pixel limit (checked before decoding) is far below Pillow's bomb threshold.
    try:
        with Image.open(io.BytesIO(data), formats=None) as probe:
            kind = probe.format
    except UnidentifiedImageError:
        raise UnsupportedImage() from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidImage("the image is too large once decoded") from None
    except (OSError, ValueError, SyntaxError):
        raise InvalidImage() from None
    if kind not in ALLOWED:
        raise UnsupportedImage()
    try:
        with Image.open(io.BytesIO(data), formats=[kind]) as image:
            width, height = image.size
            if width > MAX_SIDE or height > MAX_SIDE or width * height > max_pixels:
                raise InvalidImage("the image is too large once decoded")
            image.load()
    except InvalidImage:
        raise
    except (
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        ValueError,
        SyntaxError,
        EOFError,
    ):
        raise InvalidImage() from None
    return CheckedImage(ALLOWED[kind], width, height)
