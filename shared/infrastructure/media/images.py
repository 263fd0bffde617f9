"""`store_image`: an upload's bytes in, a `StoredImage` of safe, sized variants out.

Every step is about not trusting the upload:
- the type comes from the bytes (Pillow decides, limited to JPEG, PNG, WebP
  and GIF), never from the file name or the Content-Type the client sent;
- the size is checked before decoding (bytes, then the header's pixel
  count and sides) so a decompression bomb is refused without being
  decoded;
- the pixels are copied into a fresh image after applying the EXIF
  orientation, so no EXIF (GPS included), XMP, ICC or comment survives;
- the name is the sha256 of those normalised pixels, so the same picture
  uploaded twice is stored once.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from shared.contracts.media import (
    CONTENT_TYPES,
    MediaRejected,
    MediaTooLarge,
    StoredImage,
    scaled_height,
    variant_widths,
)
from shared.infrastructure.config import MediaSettings
from shared.infrastructure.media.storage import MediaStorage

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
# Pillow's own guard, set explicitly rather than trusted to its default: it
# warns past this many pixels and refuses past twice as many. `_open` turns
# both into MediaTooLarge; the per-settings limit below is checked first.
Image.MAX_IMAGE_PIXELS = 50_000_000

_SAVE_OPTIONS: dict[str, dict[str, object]] = {
    "webp": {"format": "WEBP", "quality": 80, "method": 4},
    "jpg": {"format": "JPEG", "quality": 82, "optimize": True, "progressive": True},
    "png": {"format": "PNG", "optimize": True},
}


@dataclass(frozen=True, slots=True)
class _Encoded:
    name: str
    data: bytes
    content_type: str


def _open(data: bytes, limits: MediaSettings) -> Image.Image:
    if len(data) > limits.max_upload_bytes:
        raise MediaTooLarge(
            f"The image is {len(data):,} bytes; the limit is {limits.max_upload_bytes:,} bytes."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MediaTooLarge(f"The image has more than {Image.MAX_IMAGE_PIXELS:,} pixels.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise MediaRejected("That is not a JPEG, PNG, WebP or GIF image.") from None
    width, height = image.size
    if width > limits.max_dimension or height > limits.max_dimension:
        raise MediaTooLarge(
            f"The image is {width}x{height} pixels; "
            f"no side may be over {limits.max_dimension:,} pixels."
        )
    if width * height > limits.max_pixels:
        raise MediaTooLarge(
            f"The image has {width * height:,} pixels; the limit is {limits.max_pixels:,}."
        )
    return image


def _normalised(image: Image.Image) -> Image.Image:
    """Upright pixels in RGB or RGBA, in a fresh image that carries no metadata."""
    try:
        image.seek(0)  # a GIF (or animated WebP/PNG): its first frame
        upright = ImageOps.exif_transpose(image)
        has_alpha = upright.mode in ("RGBA", "LA", "PA") or (
            upright.mode == "P" and "transparency" in upright.info
        )
        converted = upright.convert("RGBA" if has_alpha else "RGB")
    except (OSError, SyntaxError, ValueError):
        # Truncated or corrupt past the header: Pillow only finds out when decoding.
        raise MediaRejected("The image is damaged and could not be read.") from None
    return Image.frombytes(converted.mode, converted.size, converted.tobytes())


def _fallback_ext(source_format: str, image: Image.Image) -> str:
    # Transparency needs PNG; a PNG or GIF is often a drawing, kept lossless.
    if image.mode == "RGBA" or source_format in ("PNG", "GIF"):
        return "png"
    return "jpg"


def _encode(image: Image.Image, ext: str) -> bytes:
    out = io.BytesIO()
    image.save(out, **_SAVE_OPTIONS[ext])  # type: ignore[arg-type]
    return out.getvalue()


def _process(
    data: bytes, limits: MediaSettings, url_of: Callable[[str], str]
) -> tuple[StoredImage, list[_Encoded]]:
    source = _open(data, limits)
    source_format = source.format or ""
    clean = _normalised(source)
    digest = hashlib.sha256(
        f"{clean.mode}:{clean.width}x{clean.height}:".encode() + clean.tobytes()
    ).hexdigest()
    widths = variant_widths(clean.width)
    largest_w = widths[-1]
    largest_h = scaled_height(clean.width, clean.height, largest_w)
    stored = StoredImage.build(
        digest, largest_w, largest_h, _fallback_ext(source_format, clean), url_of
    )
    encoded = []
    resized: dict[tuple[int, int], Image.Image] = {}
    for variant in stored.variants:
        size = (variant.width, variant.height)
        if size not in resized:
            resized[size] = (
                clean if size == clean.size else clean.resize(size, Image.Resampling.LANCZOS)
            )
        ext = next(e for e, t in CONTENT_TYPES.items() if t == variant.content_type)
        encoded.append(_Encoded(variant.name, _encode(resized[size], ext), variant.content_type))
    return stored, encoded


async def store_image(storage: MediaStorage, data: bytes, limits: MediaSettings) -> StoredImage:
    """Check, clean and resize an uploaded image and store every variant.

    Returns the `StoredImage` (keep its `src` in the image column). Raises
    `MediaTooLarge` when the upload is over a limit (the message names it)
    and `MediaRejected` when it is not a JPEG, PNG, WebP or GIF image.
    """
    # Decoding and encoding are CPU work: off the event loop.
    stored, encoded = await asyncio.to_thread(_process, data, limits, storage.url)
    for item in encoded:
        await storage.put(item.name, item.data, item.content_type)
    return stored
