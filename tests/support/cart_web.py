"""The cart app under test: signed in as someone (or a guest), with its CSRF token."""

from __future__ import annotations

import re

from quart import Quart
from quart.typing import TestClientProtocol

from shared.contracts.dtos import UserRecord
from shared.infrastructure.config import Settings
from shared.infrastructure.viewer import set_viewer
from tests.conftest import AppFactory


def viewer_of(user: object, *, is_admin: bool = False) -> UserRecord:
    return UserRecord(
        id=user.id,  # type: ignore[attr-defined]
        username=user.username,  # type: ignore[attr-defined]
        display_name=user.display_name,  # type: ignore[attr-defined]
        email=user.email,  # type: ignore[attr-defined]
        is_admin=is_admin,
    )


class As:
    """Who the next request is from: set before each request, as single sign-on would."""

    def __init__(self) -> None:
        self.viewer: UserRecord | None = None


async def cart_app(make_app: AppFactory, settings: Settings) -> tuple[Quart, As]:
    app = await make_app("cart", app_settings=settings)
    who = As()

    @app.before_request
    async def sign_in() -> None:
        set_viewer(who.viewer)

    return app, who


async def csrf(client: TestClientProtocol, path: str = "/") -> str:
    html = await (await client.get(path)).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)
