"""Cat pictures: the model, the `PictureStore` port, the SQL adapter, the in-memory cache,
and upload checks."""

from vending_service.pictures.cache import PictureCache
from vending_service.pictures.images import CheckedImage, check_image
from vending_service.pictures.model import VISIBILITIES, Picture, Upload
from vending_service.pictures.port import CatalogueSource, PictureStore
from vending_service.pictures.sql import SQLPictureStore

__all__ = [
    "VISIBILITIES",
    "CatalogueSource",
    "CheckedImage",
    "Picture",
    "PictureCache",
    "PictureStore",
    "SQLPictureStore",
    "Upload",
    "check_image",
]
