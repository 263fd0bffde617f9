"""Newsletters: lists, double opt-in subscriptions, issues and their per-recipient delivery.

`SqlNewslettersService` is the registry's face of the modules beside it:
lists (this module), subscriptions, suppressions, sends; the send job lives
in `delivery` (a job kind module, imported by the worker).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import NewsletterSummary, UserRecord
from shared.contracts.events import NewsletterChanged, record
from shared.contracts.newsletters import (
    MemberPreference,
    NewNewsletter,
    NewsletterError,
    NewsletterRecord,
    PendingSubscription,
    SendProgress,
    SubscriptionRecord,
    SuppressionRecord,
)
from shared.infrastructure.config import Settings
from shared.models.newsletters import Newsletter, NewsletterSubscription, SubscriptionStatus
from shared.services.newsletters import sends, subscriptions, suppressions


def _record(n: Newsletter) -> NewsletterRecord:
    return NewsletterRecord(
        id=n.id,
        slug=n.slug,
        name=n.name,
        description=n.description,
        sender_name=n.sender_name,
        reply_to=n.reply_to,
        subscribe_on_signup=n.subscribe_on_signup,
        is_active=n.is_active,
    )


def _checked(new: NewNewsletter) -> NewNewsletter:
    if not new.name.strip() or len(new.name) > 200:
        raise NewsletterError("Give the newsletter a name of 1 to 200 characters.")
    if len(new.sender_name) > 200:
        raise NewsletterError("The sender name is at most 200 characters.")
    reply_to = subscriptions.normalize_email(new.reply_to) if new.reply_to else None
    return NewNewsletter(
        new.name.strip(),
        new.description.strip(),
        new.sender_name.strip(),
        reply_to,
        new.subscribe_on_signup,
    )


class SqlNewslettersService:
    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings

    @property
    def _secret(self) -> str:
        if self._settings is None:
            raise RuntimeError("the newsletters service was wired without settings")
        return self._settings.secret_key

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

    async def get_newsletter(
        self, session: AsyncSession, newsletter_id: int
    ) -> NewsletterRecord | None:
        newsletter = await session.get(Newsletter, newsletter_id)
        return _record(newsletter) if newsletter is not None else None

    async def create_newsletter(
        self, session: AsyncSession, new: NewNewsletter
    ) -> NewsletterRecord:
        new = _checked(new)
        base = re.sub(r"[^a-z0-9]+", "-", new.name.lower()).strip("-")[:80] or "newsletter"
        slug, n = base, 1
        while await session.scalar(select(Newsletter.id).where(Newsletter.slug == slug)):
            n += 1
            slug = f"{base}-{n}"
        newsletter = Newsletter(
            slug=slug,
            name=new.name,
            description=new.description,
            sender_name=new.sender_name,
            reply_to=new.reply_to,
            subscribe_on_signup=new.subscribe_on_signup,
        )
        session.add(newsletter)
        await session.flush()
        record(session, NewsletterChanged(newsletter.id))
        return _record(newsletter)

    async def update_newsletter(
        self, session: AsyncSession, newsletter_id: int, new: NewNewsletter
    ) -> NewsletterRecord | None:
        newsletter = await session.get(Newsletter, newsletter_id)
        if newsletter is None:
            return None
        new = _checked(new)
        newsletter.name, newsletter.description = new.name, new.description
        newsletter.sender_name, newsletter.reply_to = new.sender_name, new.reply_to
        newsletter.subscribe_on_signup = new.subscribe_on_signup
        await session.flush()
        record(session, NewsletterChanged(newsletter.id))
        return _record(newsletter)

    async def request_subscription(
        self, session: AsyncSession, email: str, newsletter_ids: Iterable[int]
    ) -> PendingSubscription:
        return await subscriptions.request_subscription(
            session, self._secret, email, newsletter_ids
        )

    async def read_confirmation(self, session: AsyncSession, token: str) -> PendingSubscription:
        return await subscriptions.read_confirmation(session, self._secret, token)

    async def confirm_subscription(
        self, session: AsyncSession, token: str
    ) -> list[SubscriptionRecord]:
        return await subscriptions.confirm_subscription(session, self._secret, token)

    async def get_by_unsubscribe_token(
        self, session: AsyncSession, slug: str, token: str
    ) -> SubscriptionRecord:
        return await subscriptions.get_by_unsubscribe_token(session, slug, token)

    async def unsubscribe(self, session: AsyncSession, slug: str, token: str) -> SubscriptionRecord:
        return await subscriptions.unsubscribe(session, slug, token)

    async def list_preferences(
        self, session: AsyncSession, user: UserRecord
    ) -> list[MemberPreference]:
        return await subscriptions.list_preferences(session, user)

    async def set_preferences(
        self, session: AsyncSession, user: UserRecord, newsletter_ids: Iterable[int]
    ) -> None:
        await subscriptions.set_preferences(session, user, newsletter_ids)

    async def remove_member(self, session: AsyncSession, user: UserRecord) -> int:
        return await subscriptions.remove_member(session, user)

    async def export_member_data(
        self, session: AsyncSession, user: UserRecord
    ) -> dict[str, object]:
        return await subscriptions.export_member_data(session, user)

    async def subscribe_on_signup(self, session: AsyncSession, user: UserRecord) -> None:
        await subscriptions.subscribe_on_signup(session, user)

    async def create_issue(
        self, session: AsyncSession, newsletter_id: int, subject: str, text: str
    ) -> int:
        return await sends.create_issue(session, newsletter_id, subject, text)

    async def send_post(self, session: AsyncSession, newsletter_id: int, post_id: int) -> int:
        return await sends.send_post(session, newsletter_id, post_id)

    async def list_sends(self, session: AsyncSession, newsletter_id: int) -> list[SendProgress]:
        return await sends.list_sends(session, newsletter_id)

    async def list_post_sends(self, session: AsyncSession, post_id: int) -> list[SendProgress]:
        return await sends.list_sends(session, post_id=post_id)

    async def list_suppressions(
        self, session: AsyncSession, email: str | None = None
    ) -> list[SuppressionRecord]:
        return await suppressions.list_suppressions(session, email)

    async def lift_suppression(self, session: AsyncSession, email: str) -> bool:
        return await suppressions.lift(session, email)
