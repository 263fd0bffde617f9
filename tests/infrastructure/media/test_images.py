"""store_image: the type from the bytes, metadata gone, sizes, names, limits."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from shared.contracts.media import MediaRejected, MediaTooLarge, StoredImage
from shared.infrastructure.config import MediaSettings
from shared.infrastructure.media import FilesystemMediaStorage, store_image
from tests.infrastructure.media.samples import (
    GPS_IFD,
    SVG,
    exif_with_gps,
    image_bytes,
    noise_bytes,
    png_header_only,
)


async def stored_bytes(storage: FilesystemMediaStorage, name: str) -> bytes:
    data = await storage.read(name)
    assert data is not None, name
    return data


async def test_the_type_comes_from_the_bytes_not_the_name(
    storage: FilesystemMediaStorage, limits: MediaSettings
) -> None:
    # Uploaded as "photo.jpg": the name never reaches the pipeline, the bytes are a PNG.
    image = await store_image(storage, image_bytes(fmt="PNG"), limits)

    assert image.src.endswith(".png")
    opened = Image.open(io.BytesIO(await stored_bytes(storage, image.variants[-1].name)))
    assert opened.format == "PNG"


@pytest.mark.parametrize(
    "data",
    [b"just some text, named cat.png", SVG, b"GIF89a but nothing after it", b""],
    ids=["text", "svg", "truncated-gif", "empty"],
)
async def test_anything_but_jpeg_png_webp_gif_is_refused(
    storage: FilesystemMediaStorage, limits: MediaSettings, data: bytes
) -> None:
    with pytest.raises(MediaRejected) as refused:
        await store_image(storage, data, limits)
    assert not isinstance(refused.value, MediaTooLarge)
    assert "JPEG, PNG, WebP or GIF" in refused.value.message or "damaged" in refused.value.message
    assert not list(storage.root.rglob("*.*"))


async def test_a_damaged_image_is_refused(
    storage: FilesystemMediaStorage, limits: MediaSettings
) -> None:
    whole = image_bytes(fmt="JPEG")
    with pytest.raises(MediaRejected):
        await store_image(storage, whole[: len(whole) // 2], limits)


async def test_exif_gps_is_gone_and_the_orientation_applied(
    storage: FilesystemMediaStorage, limits: MediaSettings
) -> None:
    # Orientation 6: the camera was turned; the upright picture is 600 wide, 800 tall.
    data = image_bytes(800, 600, exif=exif_with_gps(orientation=6))
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)

    image = await store_image(storage, data, limits)

    assert (image.width, image.height) == (600, 800)
    for variant in image.variants:
        stored = Image.open(io.BytesIO(await stored_bytes(storage, variant.name)))
        assert not stored.getexif(), variant.name
        assert not stored.getexif().get_ifd(GPS_IFD)
        assert "exif" not in stored.info and "icc_profile" not in stored.info
        assert stored.size == (variant.width, variant.height)


async def test_sizes_are_generated_in_webp_and_the_fallback_format(
    storage: FilesystemMediaStorage, limits: MediaSettings
) -> None:
    image = await store_image(storage, image_bytes(2000, 1000), limits)

    assert [(v.width, v.height, v.content_type) for v in image.variants] == [
        (320, 160, "image/webp"),
        (320, 160, "image/jpeg"),
        (640, 320, "image/webp"),
        (640, 320, "image/jpeg"),
        (1280, 640, "image/webp"),
        (1280, 640, "image/jpeg"),
    ]
    for variant in image.variants:
        assert await storage.exists(variant.name)
    assert image.srcset("image/webp").endswith("-1280x640.webp 1280w")


async def test_a_small_image_is_never_upscaled(
    storage: FilesystemMediaStorage, limits: MediaSettings
) -> None:
    image = await store_image(storage, image_bytes(500, 250, fmt="WEBP"), limits)

    assert sorted({v.width for v in image.variants}) == [320, 500]
    assert (image.width, image.height) == (500, 250)
    # A WebP photo without transparency falls back to JPEG.
    assert image.src.endswith("-500x250.jpg")

    tiny = await store_image(storage, image_bytes(100, 80, fmt="GIF"), limits)
    assert {(v.width, v.height) for v in tiny.variants} == {(100, 80)}
    assert tiny.src.endswith(".png")


async def test_transparency_is_kept_in_png(
    storage: FilesystemMediaStorage, limits: MediaSettings
) -> None:
    data = image_bytes(400, 400, fmt="WEBP", mode="RGBA", color=(10, 20, 30, 0))
    image = await store_image(storage, data, limits)
    assert image.src.endswith(".png")
    stored = Image.open(io.BytesIO(await stored_bytes(storage, image.variants[-1].name)))
    assert stored.mode == "RGBA"


async def test_the_same_bytes_get_the_same_name(
    storage: FilesystemMediaStorage, limits: MediaSettings
) -> None:
    data = image_bytes(700, 500)
    first = await store_image(storage, data, limits)
    second = await store_image(storage, data, limits)
    other = await store_image(storage, image_bytes(700, 500, color=(1, 2, 3)), limits)

    assert first == second
    assert first.digest != other.digest
    assert len(first.digest) == 64


async def test_an_upload_over_the_byte_limit_names_the_limit(
    storage: FilesystemMediaStorage,
) -> None:
    limits = MediaSettings(max_upload_bytes=2048)
    with pytest.raises(MediaTooLarge) as refused:
        await store_image(storage, noise_bytes(100, 100), limits)
    assert "the limit is 2,048 bytes" in refused.value.message
    assert refused.value.status == 413


async def test_too_many_pixels_or_too_long_a_side_is_refused(
    storage: FilesystemMediaStorage,
) -> None:
    with pytest.raises(MediaTooLarge, match="the limit is 10,000"):
        await store_image(storage, image_bytes(200, 100), MediaSettings(max_pixels=10_000))
    with pytest.raises(MediaTooLarge, match="over 100 pixels"):
        await store_image(storage, image_bytes(101, 20), MediaSettings(max_dimension=100))


async def test_a_decompression_bomb_is_refused_without_decoding_it(
    storage: FilesystemMediaStorage, limits: MediaSettings
) -> None:
    # 900 million pixels claimed in under a hundred bytes: Pillow's own guard.
    bomb = png_header_only(30_000, 30_000)
    assert len(bomb) < 100
    with pytest.raises(MediaTooLarge, match="pixels"):
        await store_image(storage, bomb, MediaSettings(max_dimension=50_000))
    # Under Pillow's guard but over ours (and over the side limit by default).
    with pytest.raises(MediaTooLarge, match="pixels"):
        await store_image(storage, png_header_only(9_000, 9_000), limits)
    assert not list(storage.root.rglob("*.*"))


def test_a_stored_url_gives_back_the_whole_image() -> None:
    image = StoredImage.build("a" * 64, 1000, 667, "jpg", lambda name: f"/media/{name}")

    assert StoredImage.from_url(image.src) == image
    assert image.srcset() == (
        f"/media/{'a' * 64}-320x213.jpg 320w, "
        f"/media/{'a' * 64}-640x427.jpg 640w, "
        f"/media/{'a' * 64}-1000x667.jpg 1000w"
    )
    for other in (None, "", "https://example.com/cat.jpg", f"/media/{'a' * 64}-640x427.webp"):
        assert StoredImage.from_url(other) is None
