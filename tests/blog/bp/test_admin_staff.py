"""Administrators give staff roles; nobody else gets in."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.blog import BlogStaff
from tests.blog.bp.conftest import SignedIn, csrf
from tests.support.factories import make_user


@pytest.mark.parametrize("role", [None, "member", "editor"])
async def test_only_administrators_get_in(signed_in: SignedIn, role: str | None) -> None:
    client = await signed_in(role)
    assert (await client.get("/admin/staff/")).status_code == 403


async def test_an_administrator_gives_and_takes_a_role(
    signed_in: SignedIn, db: AsyncSession
) -> None:
    wren = await make_user(db, "wren")
    client = await signed_in("administrator")
    token = await csrf(client, "/admin/staff/")
    given = await client.post(
        "/admin/staff/", form={"csrf_token": token, "username": "wren", "role": "author"}
    )
    assert given.status_code == 303
    assert await db.scalar(select(BlogStaff.role).where(BlogStaff.user_id == wren.id)) == "author"
    page = await (await client.get("/admin/staff/")).get_data(as_text=True)
    assert "@wren" in page and "author" in page
    await client.post(
        "/admin/staff/", form={"csrf_token": token, "username": "wren", "role": "none"}
    )
    assert await db.scalar(select(BlogStaff.role).where(BlogStaff.user_id == wren.id)) is None


async def test_an_unknown_member_or_role_is_a_400_naming_it(
    signed_in: SignedIn, db: AsyncSession
) -> None:
    await make_user(db, "wren")
    client = await signed_in("administrator")
    token = await csrf(client, "/admin/staff/")
    for fields, message in (
        ({"username": "nobody", "role": "author"}, "No member is called"),
        ({"username": "wren", "role": "king"}, "A role is one of"),
    ):
        response = await client.post("/admin/staff/", form={"csrf_token": token, **fields})
        assert response.status_code == 400
        assert message in await response.get_data(as_text=True)
