"""The market app under test, as whoever a test says is signed in."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import pytest
from quart.typing import TestClientProtocol as Client
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import UserRecord
from shared.infrastructure.viewer import set_viewer
from shared.models.identity import User
from tests.conftest import AppFactory
from tests.support.factories import make_user

MarketAs = Callable[[User | None], Awaitable[Client]]


def record_of(user: User) -> UserRecord:
    return UserRecord(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        email=user.email,
        is_admin=user.is_admin,
    )


@pytest.fixture
def market_as(make_app: AppFactory) -> MarketAs:
    """A client of the market app on which `user` is signed in (what single sign-on does)."""

    async def open_client(user: User | None) -> Client:
        app = await make_app("market")
        viewer = record_of(user) if user is not None else None

        @app.before_request
        async def sign_in() -> None:
            set_viewer(viewer)

        return app.test_client()

    return open_client


@pytest.fixture
async def ben(db: AsyncSession) -> User:
    return await make_user(db, "ben")


@pytest.fixture
async def ada(db: AsyncSession) -> User:
    return await make_user(db, "ada", is_admin=True)


async def csrf(client: Client, path: str = "/stalls/apply/") -> str:
    html = await (await client.get(path)).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


async def text(response: object) -> str:
    return await response.get_data(as_text=True)  # type: ignore[attr-defined,no-any-return]
