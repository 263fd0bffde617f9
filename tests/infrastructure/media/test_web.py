"""/media/<name> on every app, and the upload helper through a real route."""

from __future__ import annotations

import importlib
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from quart import Quart, jsonify, request
from quart.datastructures import FileStorage
from quart.typing import TestClientProtocol as Client

from shared.contracts.media import StoredImage
from shared.infrastructure.config import APP_NAMES, Settings
from shared.infrastructure.media import media_storage, receive_image, store_image
from shared.infrastructure.security import csrf_exempt
from tests.conftest import ClientFactory, lifespan_of
from tests.infrastructure.media.samples import image_bytes, noise_bytes

MISSING = "0" * 64 + "-320x240.jpg"


async def stored_in(client_for: ClientFactory, app: str) -> tuple[Client, StoredImage]:
    client = await client_for(app)
    storage = media_storage(client.app)  # type: ignore[attr-defined]
    settings: Settings = client.app.extensions["rose_ash"].settings  # type: ignore[attr-defined]
    return client, await store_image(storage, image_bytes(900, 600), settings.media)


@pytest.mark.parametrize("app", APP_NAMES)
async def test_every_app_serves_a_stored_image_immutably(
    client_for: ClientFactory, app: str
) -> None:
    client, image = await stored_in(client_for, app)

    for variant in image.variants:
        response = await client.get(variant.url)
        assert response.status_code == 200, variant.name
        assert response.headers["Content-Type"] == variant.content_type
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["ETag"] == f'"{variant.name}"'
        assert len(await response.get_data()) > 100


async def test_a_known_etag_gets_a_304(client_for: ClientFactory) -> None:
    client, image = await stored_in(client_for, "blog")
    url = image.variants[0].url
    etag = (await client.get(url)).headers["ETag"]

    response = await client.get(url, headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert await response.get_data() == b""


@pytest.mark.parametrize(
    "path",
    [
        f"/media/{MISSING}",
        "/media/..%2f..%2fetc%2fpasswd",
        "/media/../../etc/passwd",
        "/media/%2e%2e%2fpyproject.toml",
        "/media/pyproject.toml",
        "/media/" + "0" * 64 + "-320x240.svg",
        "/media/",
    ],
)
async def test_unknown_or_malformed_names_are_404(client_for: ClientFactory, path: str) -> None:
    client = await client_for("market")
    response = await client.get(path)
    assert response.status_code == 404


@pytest.fixture
async def upload_client(settings: Settings, platform_env: dict[str, str]) -> AsyncIterator[Client]:
    """market with one route that uploads through `receive_image`, as a form would."""
    small = settings.model_copy(
        update={"media": settings.media.model_copy(update={"max_upload_bytes": 4096})}
    )
    # Imported here: the app module builds an app on import, from the run's environment.
    app: Quart = importlib.import_module("market.app").create_app(small)

    @app.post("/test-upload")
    @csrf_exempt
    async def post_test_upload() -> Any:
        image = await receive_image(await request.files, "image", media_storage(app), small.media)
        return jsonify(src=image.src, srcset=image.srcset())

    test_app = lifespan_of(app)
    await test_app.startup()
    yield app.test_client()
    await test_app.shutdown()


async def upload(client: Client, data: bytes, filename: str) -> Any:
    files = {"image": FileStorage(io.BytesIO(data), filename=filename, name="image")}
    return await client.post("/test-upload", files=files, headers={"Accept": "application/json"})


async def test_an_upload_is_stored_and_returned(upload_client: Client) -> None:
    response = await upload(upload_client, image_bytes(64, 48, fmt="PNG"), "photo.jpg")
    assert response.status_code == 200
    body = await response.get_json()
    assert body["src"].endswith("-64x48.png")
    assert (await upload_client.get(body["src"])).status_code == 200


async def test_a_too_large_upload_is_a_413_naming_the_limit(
    upload_client: Client,
) -> None:
    response = await upload(upload_client, noise_bytes(100, 100), "big.png")
    assert response.status_code == 413
    assert "the limit is 4,096 bytes" in (await response.get_json())["message"]


async def test_a_file_that_is_not_an_image_is_a_400(upload_client: Client) -> None:
    response = await upload(upload_client, b"<svg xmlns='http://www.w3.org/2000/svg'/>", "x.png")
    assert response.status_code == 400
    assert "JPEG, PNG, WebP or GIF" in (await response.get_json())["message"]


async def test_a_missing_file_is_a_400(upload_client: Client) -> None:
    response = await upload_client.post(
        "/test-upload", form={"other": "x"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 400
    assert "Choose an image" in (await response.get_json())["message"]
