"""Members signed in to the federation app as single sign-on would sign them in, each
with the actor sign-up makes."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from quart import Quart
from quart.typing import TestClientProtocol
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import UserRecord
from shared.infrastructure.viewer import set_viewer
from shared.services.registry import services
from tests.conftest import AppFactory
from tests.support.activitypub.fixtures import peer_key, platform, platform_key
from tests.support.factories import make_user

__all__ = ["peer_key", "platform", "platform_key"]


@dataclass
class Member:
    user: UserRecord
    account_id: int
    client: TestClientProtocol

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Test-Member": self.user.username}

    async def csrf(self, path: str = "/home") -> str:
        page = await (await self.client.get(path, headers=self.headers)).get_data(as_text=True)
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found, page[:500]
        return found.group(1)

    async def post(self, path: str, form: dict[str, str], **kw: object) -> tuple[int, str]:
        data = {"csrf_token": await self.csrf(), **form}
        response = await self.client.post(path, form=data, headers=self.headers, **kw)  # type: ignore[arg-type]
        return response.status_code, await response.get_data(as_text=True)

    async def page(self, path: str) -> str:
        response = await self.client.get(path, headers=self.headers)
        assert response.status_code == 200, (path, response.status_code)
        return await response.get_data(as_text=True)


MemberFactory = Callable[[str], Awaitable[Member]]


@pytest.fixture
async def federation(make_app: AppFactory) -> Quart:
    app = await make_app("federation")
    viewers: dict[str, UserRecord] = {}

    @app.before_request
    async def sign_in() -> None:  # what single sign-on does: the header names the member
        from quart import request

        set_viewer(viewers.get(request.headers.get("X-Test-Member", "")))

    app.config["TEST_VIEWERS"] = viewers
    return app


@pytest.fixture
def member(federation: Quart, db: AsyncSession) -> MemberFactory:
    async def make(username: str) -> Member:
        user = await make_user(db, username)
        actor = await services.social.create_member_actor(db, user.id)
        await db.flush()
        record = UserRecord(user.id, user.username, user.display_name, user.email, False)
        federation.config["TEST_VIEWERS"][username] = record
        client = federation.test_client()
        account = await services.social.lookup_account(db, actor.preferred_username)
        return Member(record, account.id, client)

    return make
