from __future__ import annotations

from pathlib import Path

import pytest

from shared.infrastructure.config import MediaSettings
from shared.infrastructure.media import FilesystemMediaStorage


@pytest.fixture
def limits() -> MediaSettings:
    return MediaSettings()


@pytest.fixture
def storage(tmp_path: Path) -> FilesystemMediaStorage:
    return FilesystemMediaStorage(tmp_path / "media", "/media")
