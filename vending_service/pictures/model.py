"""Cat pictures, plain: what one is, and what an upload brings."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["VISIBILITIES", "Picture", "Upload"]

VISIBILITIES = frozenset({"public", "private"})


@dataclass(frozen=True, slots=True)
class Picture:
    """A picture's record; its image bytes are kept beside it, not in it."""

    id: str
    title: str
    owner: str
    visibility: str
    content_type: str
    width: int
    height: int
    created_at: float


@dataclass(frozen=True, slots=True)
class Upload:
    """What a caller sends to add a picture, unchecked."""

    title: str
    visibility: str
    image: bytes
