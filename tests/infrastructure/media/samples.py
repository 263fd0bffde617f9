"""Image bytes made on the spot with Pillow, for the media tests."""

from __future__ import annotations

import io
import os
import struct
import zlib

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def image_bytes(
    width: int = 800,
    height: int = 600,
    fmt: str = "JPEG",
    *,
    mode: str = "RGB",
    color: tuple[int, ...] = (200, 90, 40),
    exif: Image.Exif | None = None,
) -> bytes:
    image = Image.new(mode, (width, height), color)
    # A gradient, so resizing and encoding have real work and the digest real pixels.
    for x in range(0, width, max(1, width // 16)):
        image.paste((x % 256, 120, 255 - x % 256, *color[3:]), (x, 0, x + 1, height))
    out = io.BytesIO()
    options: dict[str, object] = {"exif": exif} if exif is not None else {}
    image.save(out, fmt, **options)  # type: ignore[arg-type]
    return out.getvalue()


def exif_with_gps(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "Camera maker"
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (51.0, 30.0, 12.0)
    gps[3] = "W"
    gps[4] = (0.0, 7.0, 39.0)
    return exif


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims `width` x `height` (a decompression bomb's header): a
    valid signature and IHDR, one empty IDAT, IEND. Tiny on disk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<script>alert(1)</script><rect width="10" height="10"/></svg>'
)


def noise_bytes(width: int, height: int, fmt: str = "PNG") -> bytes:
    """Random pixels: they do not compress, so the file is about width x height x 3 bytes."""
    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()
