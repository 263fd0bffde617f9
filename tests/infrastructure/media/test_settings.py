"""media.root and media.base_url: defaults, environment overrides, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.infrastructure.config import REPO_ROOT, ConfigError, MediaSettings, load_settings

BASE_ENV = {
    "ROSE_ASH_ENV": "dev",
    "DATABASE_URL": "postgresql://rose@127.0.0.1:5432/rose_ash",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "SECRET_KEY": "x" * 40,
}


def test_dev_keeps_media_under_state_served_from_the_same_origin() -> None:
    media = load_settings(BASE_ENV).media
    assert Path(media.root) == REPO_ROOT / ".state" / "media"
    assert media.base_url == "/media"


def test_the_environment_moves_the_root_and_the_url(tmp_path: Path) -> None:
    env = {**BASE_ENV, "MEDIA_ROOT": str(tmp_path), "MEDIA_BASE_URL": "https://cdn.example/m/"}
    media = load_settings(env).media
    assert media.root == str(tmp_path)
    assert media.base_url == "https://cdn.example/m"


def test_a_base_url_that_is_neither_a_path_nor_http_is_named() -> None:
    with pytest.raises(ConfigError, match=r"MEDIA_BASE_URL \(media.base_url\) is invalid"):
        load_settings({**BASE_ENV, "MEDIA_BASE_URL": "cdn.example"})


def test_the_pixel_limit_cannot_pass_pillows_own_guard() -> None:
    from PIL import Image

    import shared.infrastructure.media.images  # noqa: F401  (sets the guard)

    assert Image.MAX_IMAGE_PIXELS == 50_000_000
    with pytest.raises(ValidationError):
        MediaSettings(max_pixels=Image.MAX_IMAGE_PIXELS + 1)
