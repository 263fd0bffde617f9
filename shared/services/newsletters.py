"""Newsletters: the lists a member can subscribe to."""

from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import NewsletterSummary
from shared.models.newsletters import Newsletter, NewsletterSubscription, SubscriptionStatus


class SqlNewslettersService:
    async def list_newsletters(self, session: AsyncSession) -> list[NewsletterSummary]:
        confirmed = func.count(NewsletterSubscription.id)
        rows = await session.execute(
            select(Newsletter, confirmed)
            .outerjoin(
                NewsletterSubscription,
                and_(
                    NewsletterSubscription.newsletter_id == Newsletter.id,
                    NewsletterSubscription.status == SubscriptionStatus.CONFIRMED,
                ),
            )
            .where(Newsletter.is_active.is_(True))
            .group_by(Newsletter.id)
            .order_by(Newsletter.position, Newsletter.name)
        )
        return [
            NewsletterSummary(
                id=newsletter.id,
                slug=newsletter.slug,
                name=newsletter.name,
                description=newsletter.description,
                subscriber_count=count,
            )
            for newsletter, count in rows
        ]
