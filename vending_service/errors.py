"""What can go wrong at the machine, as data: no HTTP status here (views.py maps them).

`QuotaExceeded` lives with the quota model (`vending_service.quotas`); store outages are
`shared.stores.StoreUnavailable`.
"""

from __future__ import annotations

from shared.errors import InvalidInput, LanyardError, NotFound, Unavailable

__all__ = [
    "DecodersBusy",
    "ImageLinkRefused",
    "InvalidImage",
    "InvalidPicture",
    "PictureNotFound",
    "UnsupportedImage",
]


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


class DecodersBusy(Unavailable):
    """Every image decode slot and every place in its queue is taken: try again shortly."""

    detail = "too many images are being checked right now; try again shortly"

    def __init__(self) -> None:
        super().__init__(retry_after=2)


class ImageLinkRefused(LanyardError):
    """An image was asked for without a valid signed URL: no signature, an altered one, or
    one past its expiry (contract, "Images")."""

    detail = "this image needs the signed image_url of a picture record; get a fresh one"
