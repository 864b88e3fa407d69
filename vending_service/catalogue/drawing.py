"""Drawing: one cat from its seed, and the catalogue of cats from seeds 1..count."""

import io
import random
from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image

from vending_service.catalogue.accessories import draw_front_accessory, draw_neck_accessory
from vending_service.catalogue.backgrounds import draw_background
from vending_service.catalogue.body import draw_body
from vending_service.catalogue.face import draw_face
from vending_service.catalogue.head import draw_head
from vending_service.catalogue.sketch import Sketch
from vending_service.catalogue.traits import TITLE_MAX, Traits, pick_traits, title

CATALOGUE_OWNER = "vending"

_MIN_SIZE = 32
_MAX_SIZE = 1024


@dataclass(frozen=True, slots=True)
class CatalogueCat:
    """One item of stock: a cat picture and its human title."""

    id: str
    title: str
    image: bytes
    width: int
    height: int


def _picture(traits: Traits, rng: random.Random, size: int) -> Image.Image:
    """Paint the cat back to front, then downscale the supersampled canvas to ``size``."""
    sketch = Sketch(traits, rng, size)
    draw_background(sketch)
    draw_body(sketch)
    draw_neck_accessory(sketch)
    draw_head(sketch)
    draw_face(sketch)
    draw_front_accessory(sketch)
    return sketch.canvas.resize((size, size), Image.Resampling.LANCZOS)


def _encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    # No pnginfo and no tIME chunk: the bytes depend on the pixels alone.
    image.save(buffer, format="PNG", optimize=False, compress_level=6)
    return buffer.getvalue()


def _check_size(size: int) -> None:
    if not _MIN_SIZE <= size <= _MAX_SIZE:
        raise ValueError(f"size must be between {_MIN_SIZE} and {_MAX_SIZE} pixels, got {size}")


def draw_cat(seed: int, size: int = 256) -> tuple[bytes, str]:
    """Draw one cat from seed; return (PNG bytes, title)."""
    _check_size(size)
    rng = random.Random(seed)  # noqa: S311 - pictures, not secrets; must be reproducible
    traits = pick_traits(rng)
    image = _picture(traits, rng, size)
    return _encode_png(image), title(traits)


def iter_catalogue(count: int = 120, size: int = 256) -> Iterator[CatalogueCat]:
    """Yield `count` cats, seeds 1..count, deterministic."""
    if count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    _check_size(size)
    seen: dict[str, int] = {}
    for seed in range(1, count + 1):
        png, name = draw_cat(seed, size)
        times = seen.get(name, 0) + 1
        seen[name] = times
        if times > 1:
            suffix = f" #{times}"
            name = name[: TITLE_MAX - len(suffix)] + suffix
        yield CatalogueCat(id=f"cat-{seed:03d}", title=name, image=png, width=size, height=size)
