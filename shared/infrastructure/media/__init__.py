"""Uploaded images: storage, the `store_image` pipeline, serving (see DESIGN.md, Media)."""

from shared.infrastructure.media.images import store_image
from shared.infrastructure.media.storage import (
    FilesystemMediaStorage,
    MediaStorage,
    make_media_storage,
)
from shared.infrastructure.media.web import install_media, media_storage, receive_image

__all__ = [
    "FilesystemMediaStorage",
    "MediaStorage",
    "install_media",
    "make_media_storage",
    "media_storage",
    "receive_image",
    "store_image",
]
