"""The events app under test, with a viewer of the test's choosing (what SSO sets)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client

from shared.contracts.dtos import UserRecord
from shared.infrastructure.viewer import set_viewer
from tests.conftest import AppFactory

EventsApp = Callable[..., Awaitable[Client]]


def viewer_of(user: object, *, is_admin: bool = False) -> UserRecord:
    return UserRecord(
        id=user.id,  # type: ignore[attr-defined]
        username=user.username,  # type: ignore[attr-defined]
        display_name=user.display_name,  # type: ignore[attr-defined]
        email=user.email,  # type: ignore[attr-defined]
        is_admin=is_admin,
    )


@pytest.fixture
def events_client(make_app: AppFactory) -> EventsApp:
    """`await events_client(viewer)`: a client of a started events app seen by `viewer`."""

    async def start(viewer: UserRecord | None = None) -> Client:
        app: Quart = await make_app("events")

        @app.before_request
        async def sign_in() -> None:
            set_viewer(viewer)

        return app.test_client()

    return start


async def csrf_of(client: Client, path: str) -> str:
    html = await (await client.get(path)).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, f"no form on {path}"
    return found.group(1)
