"""/media/<name> over real HTTP (Hypercorn): headers as sent, and no way out of
the media root whatever the raw request line says."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from shared.contracts.media import StoredImage
from shared.infrastructure.config import MediaSettings
from shared.infrastructure.media import FilesystemMediaStorage, store_image
from tests.conftest import TEST_SECRET_KEY
from tests.infrastructure.media.samples import image_bytes
from tests.support.live import LivePlatform

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def media_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("live-media")


@pytest.fixture(scope="module")
def live(
    database_url: str,
    redis_url: str,
    media_root: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LivePlatform]:
    platform = LivePlatform(
        database_url,
        redis_url,
        TEST_SECRET_KEY,
        tmp_path_factory.mktemp("logs"),
        extra_env={"MEDIA_ROOT": str(media_root)},
    )
    platform.start("market")
    yield platform
    platform.stop()


@pytest.fixture(scope="module")
def stored(media_root: Path) -> StoredImage:
    storage = FilesystemMediaStorage(media_root, "/media")
    return asyncio.run(store_image(storage, image_bytes(700, 400), MediaSettings()))


def raw_get(base_url: str, target: str) -> tuple[int, bytes]:
    """Send `target` exactly as written (no client normalising `..` or `%2f`)."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        conn.sendall(
            f"GET {target} HTTP/1.1\r\nHost: market.localhost\r\nConnection: close\r\n\r\n".encode()
        )
        response = b""
        while chunk := conn.recv(65536):
            response += chunk
    status = int(response.split(b" ", 2)[1])
    return status, response.partition(b"\r\n\r\n")[2]


def test_a_variant_is_served_with_immutable_caching_over_http(
    live: LivePlatform, stored: StoredImage
) -> None:
    variant = stored.variants[-1]
    response = httpx.get(live.internal_url("market") + variant.url)

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["etag"] == f'"{variant.name}"'
    again = httpx.get(
        live.internal_url("market") + variant.url,
        headers={"If-None-Match": response.headers["etag"]},
    )
    assert again.status_code == 304


@pytest.mark.parametrize(
    "target",
    [
        "/media/..%2f..%2fetc%2fpasswd",
        "/media/../../etc/passwd",
        "/media/%2e%2e/%2e%2e/etc/passwd",
        "/media/..%2f..%2fpyproject.toml",
        "/media/..%5c..%5cpyproject.toml",
        "/media/%00.jpg",
    ],
)
def test_no_request_line_reaches_outside_the_media_root(
    live: LivePlatform, stored: StoredImage, target: str
) -> None:
    status, body = raw_get(live.internal_url("market"), target)
    assert status in (400, 404), (target, status)
    assert b"root:" not in body and b"[project]" not in body
