"""Demo newsletters: two lists, every demo member on the weekly one, one issue sent,
and one bounced address on the suppression list (what the admin pages show)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.identity import User
from shared.models.newsletters import (
    DeliveryStatus,
    EmailSuppression,
    Newsletter,
    NewsletterDelivery,
    NewsletterSend,
    NewsletterSubscription,
    SendStatus,
    SubscriptionStatus,
)

ISSUE_TEXT = (
    "The winter market opens on Saturday at nine.\n\n"
    "The bakery stall has rye again, and the lantern walk starts from the green at dusk."
)


async def seed_newsletters(session: AsyncSession, users: dict[str, User]) -> None:
    now = datetime.now(UTC)
    weekly = Newsletter(
        slug="weekly",
        name="The Weekly Ash",
        description="Every Friday: new posts, new stalls and what's on.",
        sender_name="Rose Ash",
        reply_to="editors@rose-ash.com",
        subscribe_on_signup=True,
        position=0,
    )
    market_news = Newsletter(
        slug="market-news",
        name="Market news",
        description="New stalls and seasonal products, once a month.",
        sender_name="Rose Ash Market",
        position=1,
    )
    session.add_all([weekly, market_news])
    subscriptions = [
        NewsletterSubscription(
            newsletter=weekly,
            user_id=user.id,
            email=user.email,
            status=SubscriptionStatus.CONFIRMED,
            confirmed_at=now - timedelta(days=30),
            unsubscribe_token=f"demo-unsubscribe-{index:04d}-weekly-list-token",
        )
        for index, user in enumerate(users.values())
    ]
    bounced = NewsletterSubscription(
        newsletter=weekly,
        email="moved-away@example.com",
        status=SubscriptionStatus.CONFIRMED,
        confirmed_at=now - timedelta(days=60),
        unsubscribe_token="demo-unsubscribe-bounced-weekly-list-token",
    )
    session.add_all([*subscriptions, bounced])
    issue = NewsletterSend(
        newsletter=weekly,
        subject="The winter market returns",
        status=SendStatus.SENT,
        body_html="<p>The winter market opens on Saturday at nine.</p>",
        body_text=ISSUE_TEXT,
        sent_at=now - timedelta(days=7),
    )
    session.add(issue)
    await session.flush()
    issue.recipient_count = len(subscriptions) + 1
    session.add_all(
        NewsletterDelivery(
            send_id=issue.id,
            subscription_id=sub.id,
            email=sub.email,
            status=DeliveryStatus.SENT,
            sent_at=issue.sent_at,
        )
        for sub in subscriptions
    )
    session.add(
        NewsletterDelivery(
            send_id=issue.id,
            subscription_id=bounced.id,
            email=bounced.email,
            status=DeliveryStatus.FAILED,
            last_error="550 5.1.1 No such user",
        )
    )
    session.add(EmailSuppression(email=bounced.email, reason="hard bounce: 550 5.1.1 No such user"))
    await session.flush()
