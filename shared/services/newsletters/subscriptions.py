"""Subscribing (double opt-in), confirming, unsubscribing, and a member's preferences."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import UserRecord
from shared.contracts.newsletters import (
    AddressSuppressed,
    AlreadySubscribed,
    InvalidEmail,
    InvalidLink,
    LinkAlreadyUsed,
    MemberPreference,
    NewsletterError,
    PendingSubscription,
    SubscriptionRecord,
)
from shared.models.newsletters import Newsletter, NewsletterSubscription, SubscriptionStatus
from shared.services.newsletters.suppressions import is_suppressed, list_suppressions
from shared.services.newsletters.tokens import make_confirm_token, read_confirm_token, token_hash

# One @, no spaces, a dot in the domain: what we can hand to an SMTP server as RCPT TO.
_EMAIL_RE = re.compile(r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9.-]+\.[A-Za-z0-9-]{2,63}$")


def normalize_email(raw: str) -> str:
    """The address as we store it (domain lower-cased); InvalidEmail when it is not one."""
    email = (raw or "").strip()
    if len(email) > 320 or not _EMAIL_RE.match(email) or ".." in email:
        raise InvalidEmail("Enter an email address like name@example.com.")
    local, domain = email.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def _record(sub: NewsletterSubscription) -> SubscriptionRecord:
    return SubscriptionRecord(
        id=sub.id,
        newsletter_id=sub.newsletter_id,
        newsletter_slug=sub.newsletter.slug,
        newsletter_name=sub.newsletter.name,
        email=sub.email,
        status=sub.status,
        unsubscribe_token=sub.unsubscribe_token,
    )


async def _active_newsletters(session: AsyncSession, ids: Iterable[int]) -> list[Newsletter]:
    wanted = sorted(set(ids))
    rows = list(
        await session.scalars(
            select(Newsletter).where(Newsletter.id.in_(wanted), Newsletter.is_active.is_(True))
        )
    )
    if not wanted or len(rows) != len(wanted):
        raise NewsletterError("Choose one of the newsletters on offer.")
    return rows


async def _subscription(
    session: AsyncSession, newsletter_id: int, email: str
) -> NewsletterSubscription | None:
    subscription: NewsletterSubscription | None = await session.scalar(
        select(NewsletterSubscription)
        .where(
            NewsletterSubscription.newsletter_id == newsletter_id,
            func.lower(NewsletterSubscription.email) == email.lower(),
        )
        .with_for_update()
    )
    return subscription


async def request_subscription(
    session: AsyncSession, secret: str, raw_email: str, newsletter_ids: Iterable[int]
) -> PendingSubscription:
    """The confirmation to mail; nothing is written. Raises InvalidEmail, NewsletterError
    (unknown newsletter), AddressSuppressed, AlreadySubscribed."""
    email = normalize_email(raw_email)
    newsletters = await _active_newsletters(session, newsletter_ids)
    if await is_suppressed(session, email):
        raise AddressSuppressed(
            "Mail to this address bounced, so we no longer send to it. Sign in to lift that."
        )
    wanted = []
    for newsletter in newsletters:
        existing = await _subscription(session, newsletter.id, email)
        if existing is None or existing.status != SubscriptionStatus.CONFIRMED:
            wanted.append(newsletter.id)
    if not wanted:
        names = ", ".join(n.name for n in newsletters)
        raise AlreadySubscribed(f"{email} is already subscribed to {names}.")
    return PendingSubscription(
        email, tuple(wanted), make_confirm_token(secret, email, tuple(wanted))
    )


async def read_confirmation(session: AsyncSession, secret: str, token: str) -> PendingSubscription:
    """What a confirmation link asks for (for its page); InvalidLink, LinkAlreadyUsed."""
    pending = read_confirm_token(secret, token)
    used = await session.scalar(
        select(func.count(NewsletterSubscription.id)).where(
            NewsletterSubscription.confirm_token_hash.in_(
                [token_hash(token, i) for i in pending.newsletter_ids]
            )
        )
    )
    if used:
        raise LinkAlreadyUsed("This confirmation link has already been used.")
    return pending


async def confirm_subscription(
    session: AsyncSession, secret: str, token: str
) -> list[SubscriptionRecord]:
    """Make (or renew) the confirmed subscriptions the link stands for, once."""
    pending = await read_confirmation(session, secret, token)
    newsletters = await _active_newsletters(session, pending.newsletter_ids)
    if await is_suppressed(session, pending.email):
        raise AddressSuppressed("Mail to this address bounced; sign in to lift that first.")
    now = datetime.now(UTC)
    made = []
    for newsletter in newsletters:
        sub = await _subscription(session, newsletter.id, pending.email)
        if sub is None:
            sub = NewsletterSubscription(
                newsletter=newsletter,
                email=pending.email,
                unsubscribe_token=secrets.token_urlsafe(32),
            )
            session.add(sub)
        sub.status = SubscriptionStatus.CONFIRMED
        sub.confirm_token_hash = token_hash(token, newsletter.id)
        sub.confirmed_at = now
        sub.unsubscribed_at = None
        made.append(sub)
    await session.flush()
    return [_record(sub) for sub in made]


async def get_by_unsubscribe_token(
    session: AsyncSession, slug: str, token: str
) -> SubscriptionRecord:
    """The subscription a link names; InvalidLink when the token is unknown or of another list."""
    sub = await session.scalar(
        select(NewsletterSubscription).where(NewsletterSubscription.unsubscribe_token == token)
    )
    if sub is None or sub.newsletter.slug != slug:
        raise InvalidLink("This unsubscribe link is not valid.")
    return _record(sub)


async def _leave(session: AsyncSession, sub: NewsletterSubscription) -> SubscriptionRecord:
    if sub.status != SubscriptionStatus.UNSUBSCRIBED:
        sub.status = SubscriptionStatus.UNSUBSCRIBED
        sub.unsubscribed_at = datetime.now(UTC)
        await session.flush()
    return _record(sub)


async def unsubscribe(session: AsyncSession, slug: str, token: str) -> SubscriptionRecord:
    """Unsubscribe the one (newsletter, recipient) the token was made for."""
    found = await get_by_unsubscribe_token(session, slug, token)
    sub = await session.get(NewsletterSubscription, found.id, with_for_update=True)
    assert sub is not None
    return await _leave(session, sub)


async def unsubscribe_by_token(session: AsyncSession, token: str) -> SubscriptionRecord | None:
    """The mailto: unsubscribe: the token alone names the list and recipient; None if unknown."""
    sub = await session.scalar(
        select(NewsletterSubscription)
        .where(NewsletterSubscription.unsubscribe_token == token)
        .with_for_update()
    )
    return await _leave(session, sub) if sub is not None else None


def _members(user: UserRecord) -> object:
    return or_(
        NewsletterSubscription.user_id == user.id,
        func.lower(NewsletterSubscription.email) == user.email.lower(),
    )


async def list_preferences(session: AsyncSession, user: UserRecord) -> list[MemberPreference]:
    subscribed = set(
        await session.scalars(
            select(NewsletterSubscription.newsletter_id).where(
                _members(user),  # type: ignore[arg-type]
                NewsletterSubscription.status == SubscriptionStatus.CONFIRMED,
            )
        )
    )
    newsletters = await session.scalars(
        select(Newsletter)
        .where(Newsletter.is_active.is_(True))
        .order_by(Newsletter.position, Newsletter.name)
    )
    return [
        MemberPreference(n.id, n.slug, n.name, n.description, n.id in subscribed)
        for n in newsletters
    ]


async def set_preferences(
    session: AsyncSession, user: UserRecord, newsletter_ids: Iterable[int]
) -> None:
    """Subscribe the member to exactly these newsletters (no opt-in mail: the address is
    their account's); AddressSuppressed when subscribing a suppressed address."""
    wanted = (
        {n.id for n in await _active_newsletters(session, newsletter_ids)}
        if newsletter_ids
        else set()
    )
    if wanted and await is_suppressed(session, user.email):
        raise AddressSuppressed("Mail to your address bounced: lift the suppression first.")
    now = datetime.now(UTC)
    for newsletter in await session.scalars(
        select(Newsletter).where(Newsletter.is_active.is_(True))
    ):
        sub = await _subscription(session, newsletter.id, user.email)
        if newsletter.id in wanted:
            if sub is None:
                sub = NewsletterSubscription(
                    newsletter=newsletter,
                    email=user.email,
                    unsubscribe_token=secrets.token_urlsafe(32),
                )
                session.add(sub)
            if sub.status != SubscriptionStatus.CONFIRMED:
                sub.status, sub.confirmed_at, sub.unsubscribed_at = (
                    SubscriptionStatus.CONFIRMED,
                    now,
                    None,
                )
            sub.user_id = user.id
        elif sub is not None and sub.status == SubscriptionStatus.CONFIRMED:
            sub.status, sub.unsubscribed_at = SubscriptionStatus.UNSUBSCRIBED, now
    await session.flush()


async def subscribe_on_signup(session: AsyncSession, user: UserRecord) -> None:
    """A new member receives the newsletters marked "subscribed on sign-up"."""
    ids = list(
        await session.scalars(
            select(Newsletter.id).where(
                Newsletter.is_active.is_(True), Newsletter.subscribe_on_signup.is_(True)
            )
        )
    )
    if ids:
        current = {p.newsletter_id for p in await list_preferences(session, user) if p.subscribed}
        await set_preferences(session, user, current | set(ids))


async def remove_member(session: AsyncSession, user: UserRecord) -> int:
    """Every subscription of a member deleting their account, by account or address."""
    removed = await session.execute(
        delete(NewsletterSubscription).where(_members(user))  # type: ignore[arg-type]
    )
    return int(removed.rowcount or 0)  # type: ignore[attr-defined]


async def export_member_data(session: AsyncSession, user: UserRecord) -> dict[str, object]:
    """What the newsletters domain holds about the member, JSON-ready (GDPR Art. 15)."""
    subs = await session.scalars(
        select(NewsletterSubscription)
        .where(_members(user))  # type: ignore[arg-type]
        .order_by(NewsletterSubscription.id)
    )

    def when(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment is not None else None

    return {
        "subscriptions": [
            {
                "newsletter": sub.newsletter.name,
                "email": sub.email,
                "status": sub.status,
                "subscribed_at": when(sub.created_at),
                "confirmed_at": when(sub.confirmed_at),
                "unsubscribed_at": when(sub.unsubscribed_at),
            }
            for sub in subs
        ],
        "suppressions": [
            {"email": s.email, "reason": s.reason, "since": s.created_at.isoformat()}
            for s in await list_suppressions(session, user.email)
        ],
    }
