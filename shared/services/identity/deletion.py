"""Deleting a member's account: the row is tombstoned, never removed.

Orders, tickets, posts and activities point at `users.id`; keeping the row keeps those
foreign keys sound and the username taken, so the actor name `@name` is never handed
to someone else (Mastodon's rule: a deleted account's name is not reusable). What
identified or let someone act as the member goes: the address, the name, every
credential and grant, and every session.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.events import MemberDeleted, record
from shared.infrastructure.jobs import enqueue, job_kind
from shared.infrastructure.jobs.context import JobContext
from shared.infrastructure.mail import Mail
from shared.models.identity import (
    AccountToken,
    MemberPasskey,
    MemberRecoveryCode,
    MemberTotp,
    OAuthAuthorizationCode,
    OAuthConsent,
    OAuthToken,
    User,
)

DELETED_NAME = "Deleted member"
DELETED_MAIL_KIND = "identity.account_deleted_mail"
_GRANTS = (
    OAuthToken,
    OAuthAuthorizationCode,
    OAuthConsent,
    AccountToken,
    MemberTotp,
    MemberRecoveryCode,
    MemberPasskey,
)


def deleted_email(user_id: int) -> str:
    """The tombstone's address: no "@", so sign-up can never register it (no clash with
    a live member) and no mail or sign-in link can ever reach it."""
    return f"deleted-member-{user_id}"


def is_tombstone(user: User) -> bool:
    return user.email == deleted_email(user.id)


async def tombstone_member(session: AsyncSession, user_id: int) -> MemberDeleted:
    """Tombstone the member and record MemberDeleted (the social domain deletes the actor,
    the confirmation mail is queued); raises LookupError for no such member."""
    user = await session.get(User, user_id, with_for_update=True)
    if user is None or is_tombstone(user):
        raise LookupError(f"no member {user_id}")
    event = MemberDeleted(user_id=user.id, username=user.username, email=user.email)
    for model in _GRANTS:
        await session.execute(delete(model).where(model.user_id == user.id))  # type: ignore[attr-defined]
    user.email = deleted_email(user.id)
    user.display_name = DELETED_NAME
    user.password_hash = None
    user.email_verified_at = None
    user.is_admin = False
    user.bio = ""
    user.avatar_url = None
    user.sessions_valid_after = datetime.now(UTC)
    await session.flush()
    record(session, event)
    return event


async def queue_deletion_mail(session: AsyncSession, event: MemberDeleted) -> None:
    """The confirmation to the old address, queued in the deletion's transaction."""
    await enqueue(session, DELETED_MAIL_KIND, {"to": event.email, "username": event.username})


@job_kind(
    DELETED_MAIL_KIND, max_attempts=8, timeout=timedelta(seconds=60), max_backoff=timedelta(hours=1)
)
async def send_deletion_mail(ctx: JobContext, payload: dict[str, Any]) -> None:
    text = (
        f"Your Rose Ash account @{payload['username']} has been deleted, as you asked.\n\n"
        "Your profile, sign-in details, subscriptions and bookings are gone, and your "
        "fediverse followers were told the account no longer exists. Orders are kept "
        "without your name or address, because the cooperative's accounts must keep them.\n\n"
        "If you did not ask for this, reply to this mail at once.\n"
    )
    mail = Mail(to=str(payload["to"]), subject="Your account has been deleted", text=text)
    await ctx.send_mail(mail)
