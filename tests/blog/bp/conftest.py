"""The blog app under `test_app()`, signed in as a member of some role (what single
sign-on would do), and the CSRF token its forms carry."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import UserRecord
from shared.infrastructure.viewer import set_viewer
from shared.services.blog.staff import set_staff_role
from tests.conftest import AppFactory
from tests.support.factories import make_user

SignedIn = Callable[[str | None], Awaitable[Client]]


async def blog_as(make_app: AppFactory, viewer: UserRecord | None) -> Quart:
    app = await make_app("blog")

    @app.before_request
    async def sign_in() -> None:
        set_viewer(viewer)

    return app


@pytest.fixture
def signed_in(make_app: AppFactory, db: AsyncSession) -> SignedIn:
    """A client of the blog signed in with `role` (administrator, editor, author,
    contributor, "member" for a member with no role, None for a visitor)."""

    async def client(role: str | None) -> Client:
        viewer = None
        if role is not None:
            user = await make_user(db, f"{role[:10]}x", is_admin=role == "administrator")
            if role not in ("administrator", "member"):
                await set_staff_role(db, user.id, role)
            viewer = UserRecord(
                id=user.id,
                username=user.username,
                display_name=user.display_name,
                email=user.email,
                is_admin=user.is_admin,
            )
        return (await blog_as(make_app, viewer)).test_client()

    return client


async def csrf(client: Client, path: str = "/admin/posts/new") -> str:
    html = await (await client.get(path)).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)
