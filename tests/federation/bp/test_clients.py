"""The operators' applications page, in process: an admin registers, rotates and removes
a third-party client; a redirect URI that is not https is refused naming it; a member
who is not an admin is refused."""

from __future__ import annotations

import re

from quart import Quart
from quart.typing import TestClientProtocol as Client
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import UserRecord
from shared.infrastructure.oidc.registrations import list_clients
from shared.infrastructure.viewer import set_viewer
from tests.conftest import AppFactory
from tests.federation.conftest import csrf

ADMIN = UserRecord(id=1, username="ada", display_name="Ada", email="a@x.test", is_admin=True)
MEMBER = UserRecord(id=2, username="ben", display_name="Ben", email="b@x.test", is_admin=False)


async def as_viewer(make_app: AppFactory, viewer: UserRecord) -> Client:
    app: Quart = await make_app("federation")

    @app.before_request
    async def sign_in() -> None:  # what single sign-on does for a member
        set_viewer(viewer)

    return app.test_client()


async def register(client: Client, **fields: str) -> tuple[int, str]:
    form = {"csrf_token": await csrf(client, "/admin/clients/"), **fields}
    response = await client.post("/admin/clients/", form=form)
    return response.status_code, await response.get_data(as_text=True)


async def test_an_admin_registers_rotates_and_removes_a_client(
    db: AsyncSession, make_app: AppFactory
) -> None:
    client = await as_viewer(make_app, ADMIN)

    status, shown = await register(
        client,
        name="Co-op Wiki",
        redirect_uris="https://wiki.example.test/callback\n",
        scope="openid profile",
        kind="confidential",
        post_logout_redirect_uris="https://wiki.example.test/bye",
    )
    client_id = re.search(r'<code id="client-id">([^<]+)</code>', shown)
    secret = re.search(r'<code id="client-secret">([^<]+)</code>', shown)
    assert status == 200 and client_id and secret
    listed = await (await client.get("/admin/clients/")).get_data(as_text=True)
    assert "Co-op Wiki" in listed and secret.group(1) not in listed  # shown once only

    token = await csrf(client, "/admin/clients/")
    rotated = await client.post(
        f"/admin/clients/{client_id.group(1)}/rotate", form={"csrf_token": token}
    )
    new_secret = re.search(
        r'<code id="client-secret">([^<]+)</code>', await rotated.get_data(as_text=True)
    )
    assert new_secret and new_secret.group(1) != secret.group(1)

    removed = await client.post(
        f"/admin/clients/{client_id.group(1)}/remove", form={"csrf_token": token}
    )
    assert removed.status_code == 302
    assert await list_clients(db) == []


async def test_a_redirect_uri_without_https_is_refused_naming_it(make_app: AppFactory) -> None:
    client = await as_viewer(make_app, ADMIN)

    status, page = await register(
        client, name="Chat", redirect_uris="http://chat.example.test/cb", scope="openid"
    )

    assert status == 400
    assert "&#39;http://chat.example.test/cb&#39; must use https" in page


async def test_a_member_who_is_not_an_admin_is_refused(make_app: AppFactory) -> None:
    client = await as_viewer(make_app, MEMBER)

    response = await client.get("/admin/clients/")

    assert response.status_code == 403
