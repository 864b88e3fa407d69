"""Cat pictures: the model, the `PictureStore` port, the in-memory cache, upload checks.

The SQL adapter and its tables are `vending_service.pictures.sql` and `.tables`
(imported where stores are wired, not here).
"""

from vending_service.pictures.cache import PictureCache
from vending_service.pictures.images import CheckedImage, check_image
from vending_service.pictures.model import VISIBILITIES, Picture, Upload
from vending_service.pictures.port import CatalogueSource, PictureStore

__all__ = [
    "VISIBILITIES",
    "CatalogueSource",
    "CheckedImage",
    "Picture",
    "PictureCache",
    "PictureStore",
    "Upload",
    "check_image",
]
