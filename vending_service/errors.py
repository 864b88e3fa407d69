"""What can go wrong at the machine, as data: no HTTP status here (views.py maps them).

`QuotaExceeded` lives with the quota model (`vending_service.quotas`); store outages are
`shared.stores.StoreUnavailable`.
"""

from __future__ import annotations

from shared.errors import InvalidInput, LanyardError, NotFound

__all__ = ["InvalidImage", "InvalidPicture", "PictureNotFound", "UnsupportedImage"]


class PictureNotFound(NotFound):
    """No such picture, or one the caller may not see: the two look the same."""

    detail = "no such picture"


class InvalidPicture(InvalidInput):
    """A title or visibility breaks the rules."""


class UnsupportedImage(LanyardError):
    """The upload is not an image of a kind the machine takes (PNG, JPEG, GIF, WebP)."""

    detail = "the image must be PNG, JPEG, GIF or WebP"


class InvalidImage(InvalidInput):
    """An image of an allowed kind that does not decode, or is too large once decoded."""

    detail = "the image could not be decoded"
