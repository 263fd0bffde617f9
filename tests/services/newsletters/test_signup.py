"""A new member is subscribed to the newsletters marked "subscribed on sign-up" in the
transaction that makes the account (the newsletters domain handles MemberCreated)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.dtos import NewMember
from shared.infrastructure.bootstrap import bootstrap
from shared.infrastructure.config import Settings
from shared.models.newsletters import Newsletter, NewsletterSubscription
from shared.services.registry import services


async def test_signing_up_subscribes_the_member_to_the_sign_up_newsletters_only(
    committed: async_sessionmaker[AsyncSession], mail_settings: Settings
) -> None:
    async with committed() as session, session.begin():
        session.add_all(
            [
                Newsletter(slug="weekly", name="Weekly", subscribe_on_signup=True),
                Newsletter(slug="market", name="Market"),
            ]
        )
    async with bootstrap(mail_settings, name="test") as platform, platform.unit_of_work() as uow:
        member = await services.identity.create_member(
            uow.session,
            NewMember("new@example.test", "newmember", "New Member", "a-long-password-1234"),
        )
    async with committed() as session:
        rows = await session.execute(
            select(
                Newsletter.slug, NewsletterSubscription.status, NewsletterSubscription.user_id
            ).join(Newsletter)
        )
        assert [tuple(r) for r in rows] == [("weekly", "confirmed", member.id)]
