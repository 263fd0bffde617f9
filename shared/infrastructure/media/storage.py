"""Where stored images live: one small interface, a filesystem backend.

The interface is the five things an object store does (put, read, exists,
delete, a public URL), keyed by the content-addressed names of
`shared.contracts.media`, so an S3-compatible backend is PutObject,
GetObject, HeadObject, DeleteObject and the bucket's public URL, with no
change to the callers.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Protocol

from shared.contracts.media import MEDIA_NAME
from shared.infrastructure.config import MediaSettings


class MediaStorage(Protocol):
    async def put(self, name: str, data: bytes, content_type: str) -> None:
        """Store `data` under `name`; storing the same name again is harmless
        (names are content addresses). Raises ValueError for a name that is
        not a media name."""
        ...

    async def read(self, name: str) -> bytes | None:
        """The bytes stored under `name`; None when there are none (or the
        name is not a media name)."""
        ...

    async def exists(self, name: str) -> bool:
        """True when `name` is stored."""
        ...

    async def delete(self, name: str) -> bool:
        """Remove `name`; True when something was removed, False when it was not there."""
        ...

    def url(self, name: str) -> str:
        """The public URL `name` is served at (no I/O)."""
        ...


class FilesystemMediaStorage:
    """Files under `root`, two levels of fan-out by digest (`ab/cd/<name>`), so
    no directory grows past a few thousand entries."""

    def __init__(self, root: Path, base_url: str) -> None:
        self.root = root
        self.base_url = base_url.rstrip("/")

    def _path(self, name: str) -> Path | None:
        if not MEDIA_NAME.match(name):
            return None
        return self.root / name[:2] / name[2:4] / name

    async def put(self, name: str, data: bytes, content_type: str) -> None:
        path = self._path(name)
        if path is None:
            raise ValueError(f"{name!r} is not a media name")
        await asyncio.to_thread(_write_atomically, path, data)

    async def read(self, name: str) -> bytes | None:
        path = self._path(name)
        if path is None:
            return None
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None

    async def exists(self, name: str) -> bool:
        path = self._path(name)
        return path is not None and await asyncio.to_thread(path.is_file)

    async def delete(self, name: str) -> bool:
        path = self._path(name)
        if path is None:
            return False
        try:
            await asyncio.to_thread(path.unlink)
        except FileNotFoundError:
            return False
        return True

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"


def _write_atomically(path: Path, data: bytes) -> None:
    # Write beside the target, then rename: a reader (or a second replica
    # storing the same image) never sees half a file.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def make_media_storage(settings: MediaSettings) -> MediaStorage:
    """The storage the settings choose (only the filesystem, for now)."""
    return FilesystemMediaStorage(Path(settings.root), settings.base_url)
