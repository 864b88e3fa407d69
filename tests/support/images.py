"""Images made for tests: plain ones, ones carrying metadata and payloads, and hostile ones."""

from __future__ import annotations

import functools
import io
import struct
import zlib

from PIL import Image

__all__ = ["GPS_MARK", "PAYLOAD", "hostile_png", "image_bytes", "jpeg_with_gps_and_payload"]

PAYLOAD = b"<?php system($_GET['c']); ?> lanyard-appended-payload"
"""Bytes appended after an image's end, as a polyglot file would carry them."""
GPS_MARK = "lanyard-test-camera"


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (40, 30)) -> bytes:
    """A small plain image of `kind`."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, format=kind)
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


@functools.cache
def hostile_png(side: int = 6324) -> bytes:
    """Issue 15's decompression bomb: a `side` x `side` 16-bit RGBA PNG of zeros, 311 KB on
    the wire for 6324 (320 MB of raw scanlines), written by hand so that making it costs
    no more memory than one row."""
    row = bytes(1 + side * 8)  # filter byte 0, then eight bytes a pixel
    packer = zlib.compressobj(9)
    compressed = [packer.compress(row) for _ in range(side)]
    compressed.append(packer.flush())
    header = struct.pack(">IIBBBBB", side, side, 16, 6, 0, 0, 0)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", b"".join(compressed)),
            _chunk(b"IEND", b""),
        )
    )


def jpeg_with_gps_and_payload() -> bytes:
    """A JPEG whose EXIF names a camera and a GPS position, with `PAYLOAD` after its end."""
    image = Image.new("RGB", (64, 48), (10, 200, 90))
    exif = Image.Exif()
    exif[0x010F] = GPS_MARK  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}  # GPSInfo
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue() + PAYLOAD
