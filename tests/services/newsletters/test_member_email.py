"""A member's confirmed new address takes over the old one's subscriptions (the
newsletters domain handles MemberEmailChanged in the change's transaction): moved where
only the old address was subscribed, merged where both were."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.dtos import NewMember
from shared.infrastructure.bootstrap import bootstrap
from shared.infrastructure.config import Settings
from shared.models.newsletters import Newsletter, NewsletterSubscription, SubscriptionStatus
from shared.services.identity import account_security
from shared.services.registry import services

PASSWORD = "a-long-password-1234"


def subscription(newsletter: Newsletter, email: str, status: str) -> NewsletterSubscription:
    now = datetime.now(UTC)
    return NewsletterSubscription(
        newsletter=newsletter,
        email=email,
        status=status,
        unsubscribe_token=secrets.token_urlsafe(16),
        confirmed_at=now if status != SubscriptionStatus.PENDING else None,
        unsubscribed_at=now if status == SubscriptionStatus.UNSUBSCRIBED else None,
    )


async def test_the_new_address_takes_the_subscriptions_merged_per_newsletter(
    committed: async_sessionmaker[AsyncSession], mail_settings: Settings
) -> None:
    async with bootstrap(mail_settings, name="test") as platform:
        async with platform.unit_of_work() as uow:
            member = await services.identity.create_member(
                uow.session, NewMember("old@example.test", "mover", "Mover", PASSWORD)
            )
        async with committed() as session, session.begin():
            weekly = Newsletter(slug="weekly", name="Weekly")
            market = Newsletter(slug="market", name="Market")
            events = Newsletter(slug="events", name="Events")
            session.add_all(
                [
                    subscription(weekly, "old@example.test", SubscriptionStatus.CONFIRMED),
                    subscription(weekly, "new@example.test", SubscriptionStatus.UNSUBSCRIBED),
                    subscription(market, "old@example.test", SubscriptionStatus.CONFIRMED),
                    subscription(events, "new@example.test", SubscriptionStatus.CONFIRMED),
                    subscription(events, "old@example.test", SubscriptionStatus.UNSUBSCRIBED),
                ]
            )
        async with platform.unit_of_work() as uow:
            change = await account_security.start_email_change(
                uow.session, member.id, "new@example.test", PASSWORD, valid_for=timedelta(hours=1)
            )
        async with platform.unit_of_work() as uow:
            await account_security.confirm_email_change(uow.session, change.token)

    async with committed() as session:
        rows = await session.execute(
            select(Newsletter.slug, NewsletterSubscription.email, NewsletterSubscription.status)
            .join(Newsletter)
            .order_by(Newsletter.slug)
        )
        assert [tuple(r) for r in rows] == [
            ("events", "new@example.test", "confirmed"),
            ("market", "new@example.test", "confirmed"),
            ("weekly", "new@example.test", "confirmed"),
        ]
        owners = set(await session.scalars(select(NewsletterSubscription.user_id)))
        assert owners == {member.id}
