"""Stored images: what `store_image` returns, the names it gives, what it refuses.

A stored image is a set of variants (each width in WebP and in a fallback
format: JPEG, or PNG for images with transparency or that came as PNG/GIF),
all named after the sha256 of the normalised pixels:

    <sha256 hex>-<width>x<height>.<webp|jpg|png>

The database keeps one URL per image, the largest fallback variant's
(`StoredImage.src`). Every other variant follows from it, because the widths
are fixed (`RESPONSIVE_WIDTHS`, never upscaled) and each height is the
largest's scaled and rounded the same way: `StoredImage.from_url` rebuilds the
whole set without a lookup, so a template can render a srcset from the one
column that already holds an image URL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# The widths generated, smallest first; an image narrower than one stops there.
RESPONSIVE_WIDTHS: tuple[int, ...] = (320, 640, 1280)

CONTENT_TYPES: dict[str, str] = {
    "webp": "image/webp",
    "jpg": "image/jpeg",
    "png": "image/png",
}

# The only names storage accepts and /media/<name> serves: nothing else can
# be written or read, so a name can never climb out of the media root.
MEDIA_NAME = re.compile(
    r"^(?P<digest>[0-9a-f]{64})-(?P<width>[1-9]\d{0,4})x(?P<height>[1-9]\d{0,4})\.(?P<ext>webp|jpg|png)$"
)


class MediaRejected(ValueError):
    """An upload is not an image we store: its `message` says why, for the member."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MediaTooLarge(MediaRejected):
    """An upload is over a limit (bytes, pixels or a side); the message names the limit."""

    status = 413


def variant_widths(width: int) -> tuple[int, ...]:
    """The widths generated for an image `width` pixels wide (never wider than it)."""
    largest = min(width, RESPONSIVE_WIDTHS[-1])
    return (*(w for w in RESPONSIVE_WIDTHS if w < largest), largest)


def scaled_height(width: int, height: int, to_width: int) -> int:
    """The height of a variant `to_width` wide; the pipeline and the parser share it."""
    return max(1, round(height * to_width / width))


def media_name(digest: str, width: int, height: int, ext: str) -> str:
    return f"{digest}-{width}x{height}.{ext}"


def content_type_of(name: str) -> str | None:
    """The Content-Type of a valid media name, None for any other string."""
    match = MEDIA_NAME.match(name)
    return CONTENT_TYPES[match["ext"]] if match else None


@dataclass(frozen=True, slots=True)
class ImageVariant:
    name: str
    url: str
    width: int
    height: int
    content_type: str


@dataclass(frozen=True, slots=True)
class StoredImage:
    """One stored image: its variants, smallest first, WebP and fallback."""

    digest: str
    width: int
    height: int
    fallback_ext: str
    variants: tuple[ImageVariant, ...]

    @property
    def src(self) -> str:
        """The largest fallback variant's URL: what an image column stores."""
        return self._of(self.fallback_ext)[-1].url

    def srcset(self, content_type: str | None = None) -> str:
        """`url 320w, url 640w, ...` for one format (the fallback one by default)."""
        wanted = content_type or CONTENT_TYPES[self.fallback_ext]
        return ", ".join(f"{v.url} {v.width}w" for v in self.variants if v.content_type == wanted)

    def _of(self, ext: str) -> list[ImageVariant]:
        return [v for v in self.variants if v.content_type == CONTENT_TYPES[ext]]

    @classmethod
    def build(
        cls, digest: str, width: int, height: int, fallback_ext: str, url_of: Callable[[str], str]
    ) -> StoredImage:
        """The variant set of a largest variant `width` x `height`; `url_of` maps a
        name to its URL (the storage's `url`)."""
        variants = []
        for w in variant_widths(width):
            h = height if w == width else scaled_height(width, height, w)
            for ext in ("webp", fallback_ext):
                name = media_name(digest, w, h, ext)
                variants.append(ImageVariant(name, url_of(name), w, h, CONTENT_TYPES[ext]))
        return cls(digest, width, height, fallback_ext, tuple(variants))

    @classmethod
    def from_url(cls, url: str | None) -> StoredImage | None:
        """The image a stored URL (`src`) names; None for any other URL (an
        external or legacy image, shown as it is)."""
        if not url or "/" not in url:
            return None
        base, _, name = url.rpartition("/")
        match = MEDIA_NAME.match(name)
        if match is None or match["ext"] == "webp":
            return None
        width, height = int(match["width"]), int(match["height"])
        if width > RESPONSIVE_WIDTHS[-1]:
            return None
        return cls.build(match["digest"], width, height, match["ext"], lambda n: f"{base}/{n}")
