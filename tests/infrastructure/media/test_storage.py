"""The MediaStorage contract: every backend passes the same cases.

A second backend (S3-compatible) joins by adding a fixture param below.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.infrastructure.config import MediaSettings
from shared.infrastructure.media import FilesystemMediaStorage, MediaStorage, make_media_storage

NAME = "ab" * 32 + "-320x200.webp"
OTHER = "cd" * 32 + "-640x400.jpg"


@pytest.fixture(params=["filesystem"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MediaStorage]:
    if request.param == "filesystem":
        yield FilesystemMediaStorage(tmp_path / "media", "/media")


async def test_what_is_put_can_be_read_back(backend: MediaStorage) -> None:
    assert not await backend.exists(NAME)
    assert await backend.read(NAME) is None

    await backend.put(NAME, b"RIFF....WEBP", "image/webp")

    assert await backend.exists(NAME)
    assert await backend.read(NAME) == b"RIFF....WEBP"
    assert not await backend.exists(OTHER)


async def test_putting_the_same_name_again_is_harmless(backend: MediaStorage) -> None:
    await backend.put(NAME, b"one", "image/webp")
    await backend.put(NAME, b"one", "image/webp")
    assert await backend.read(NAME) == b"one"


async def test_delete_says_whether_something_was_there(backend: MediaStorage) -> None:
    await backend.put(NAME, b"x", "image/webp")
    assert await backend.delete(NAME) is True
    assert await backend.delete(NAME) is False
    assert not await backend.exists(NAME)


@pytest.mark.parametrize(
    "name",
    ["../etc/passwd", "..", "", "a/b", NAME.upper(), NAME + "/x", "ab" * 32 + "-320x200.svg"],
)
async def test_only_media_names_are_stored_or_read(backend: MediaStorage, name: str) -> None:
    with pytest.raises(ValueError, match="not a media name"):
        await backend.put(name, b"x", "image/png")
    assert await backend.read(name) is None
    assert not await backend.exists(name)
    assert await backend.delete(name) is False


def test_url_is_the_base_url_and_the_name(backend: MediaStorage) -> None:
    assert backend.url(NAME) == f"/media/{NAME}"


def test_the_settings_choose_the_filesystem_under_the_root(tmp_path: Path) -> None:
    storage = make_media_storage(
        MediaSettings(root=str(tmp_path), base_url="https://cdn.example/media/")
    )
    assert isinstance(storage, FilesystemMediaStorage)
    assert storage.root == tmp_path
    assert storage.url(NAME) == f"https://cdn.example/media/{NAME}"
