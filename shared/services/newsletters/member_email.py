"""A member's new address takes over the subscriptions of their old one."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.events import EventContext, MemberEmailChanged
from shared.models.newsletters import NewsletterSubscription, SubscriptionStatus

# When both addresses were on one newsletter, the row that says more wins: a
# confirmed subscription is not lost because the new address once unsubscribed.
_RANK = {
    SubscriptionStatus.CONFIRMED: 2,
    SubscriptionStatus.PENDING: 1,
    SubscriptionStatus.UNSUBSCRIBED: 0,
}


async def _by_email(session: AsyncSession, email: str) -> dict[int, NewsletterSubscription]:
    rows = await session.scalars(
        select(NewsletterSubscription)
        .where(func.lower(NewsletterSubscription.email) == email.lower())
        .with_for_update()
    )
    return {row.newsletter_id: row for row in rows}


async def move_subscriptions(
    session: AsyncSession, user_id: int, old_email: str, new_email: str
) -> None:
    """Re-address every subscription of `old_email` to `new_email`, merging per newsletter."""
    old_rows = await _by_email(session, old_email)
    new_rows = await _by_email(session, new_email)
    for newsletter_id, old in old_rows.items():
        kept = new_rows.get(newsletter_id)
        if kept is None:
            old.email, old.user_id = new_email, user_id
            continue
        if _RANK[SubscriptionStatus(old.status)] > _RANK[SubscriptionStatus(kept.status)]:
            kept.status = old.status
            kept.confirmed_at = old.confirmed_at
            kept.unsubscribed_at = old.unsubscribed_at
        kept.user_id = user_id
        await session.delete(old)
    await session.flush()


async def follow_member_email(event: MemberEmailChanged, ctx: EventContext) -> None:
    await move_subscriptions(ctx.session, event.user_id, event.old_email, event.new_email)
