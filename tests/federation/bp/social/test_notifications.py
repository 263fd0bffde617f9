"""Notifications as a member sees them: grouped ("ben and 1 other favourited your
post"), counted unread in the shell's user menu, read once opened."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.widgets import FragmentViewer
from shared.infrastructure.internal import InternalAuth
from shared.models.activitypub import ApObject
from tests.conftest import TEST_SECRET_KEY, ClientFactory
from tests.federation.bp.social.conftest import MemberFactory

AUTH = InternalAuth.from_secret(TEST_SECRET_KEY)


async def user_menu(client_for: ClientFactory, user_id: int) -> str:
    """The account app's user-menu fragment for the member, as another app fetches it."""
    client = await client_for("account")
    headers = AUTH.headers(FragmentViewer(user_id=user_id))
    response = await client.get("/internal/fragments/user-menu", headers=headers)
    assert response.status_code == 200
    return await response.get_data(as_text=True)


async def test_favourites_of_one_post_are_one_group_and_the_user_menu_counts_them(
    member: MemberFactory, db: AsyncSession, client_for: ClientFactory
) -> None:
    cleo, ben, dora = await member("cleo"), await member("ben"), await member("dora")
    await cleo.post("/statuses", {"status": "Sourdough tips"})
    post = await db.scalar(select(ApObject).where(ApObject.source == "Sourdough tips"))
    assert post is not None
    await ben.post(f"/statuses/{post.id}/favourite", {})
    await dora.post(f"/statuses/{post.id}/favourite", {})
    await ben.post(f"/accounts/{cleo.account_id}/follow", {})

    menu = await user_menu(client_for, cleo.user.id)
    assert 'aria-label="3 unread notifications"' in menu and "/notifications" in menu

    page = " ".join((await cleo.page("/notifications")).split())
    assert page.count("favourited your post") == 1
    assert "and 1 other favourited your post" in page
    assert "followed you" in page and "Sourdough tips" in page

    menu = await user_menu(client_for, cleo.user.id)
    assert "unread notifications" not in menu
