"""Changing a password or an email address while signed in.

A password change needs the current password (a member with none may set a
first one only just after signing in: an old stolen session must not take
the account) and ends every session that began before it. An email change
needs the password too, and only happens when the link mailed to the new
address is used: a session with the old address alone cannot complete it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import UserRecord
from shared.contracts.errors import AccountError
from shared.contracts.events import MemberEmailChanged, record
from shared.models.identity import AccountToken, User
from shared.services.identity.members import (
    _EMAIL_RE,
    EXPIRED_LINK,
    MAILED_TOKEN_RE,
    UNKNOWN_LINK,
    _check_password,
    _digest,
    _hash,
    _verify,
    issue_token,
    user_record,
)

EMAIL_CHANGE = "email_change"
USED_CHANGE_LINK = "That link was used already: each email change link works once."
WRONG_PASSWORD = "That is not your current password."
STALE_SIGN_IN = "To set a first password, sign in again: it must be within ten minutes."


class EmailTaken(AccountError):
    """The address belongs to another member (a 409, not a 400)."""

    def __init__(self, email: str) -> None:
        super().__init__("email", f"{email} belongs to another account.")


@dataclass(frozen=True, slots=True)
class EmailChange:
    """A started change: the link's token (mailed to `new_email`) and the address it replaces."""

    user_id: int
    display_name: str
    old_email: str
    new_email: str
    token: str


async def _locked(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id, with_for_update=True)
    if user is None:
        raise LookupError(f"no member {user_id}")
    return user


async def _check_current(user: User, password: str) -> None:
    if not user.password_hash or not await _verify(user.password_hash, password):
        raise AccountError("current_password", WRONG_PASSWORD)


async def change_password(
    session: AsyncSession, user_id: int, current: str, new: str, *, signed_in_recently: bool
) -> UserRecord:
    """Set the member's password; every session that began before now stops counting."""
    user = await _locked(session, user_id)
    if user.password_hash:
        await _check_current(user, current)
    elif not signed_in_recently:
        raise AccountError("current_password", STALE_SIGN_IN)
    try:
        _check_password(new)
    except AccountError as error:
        raise AccountError("new_password", error.message) from None
    user.password_hash = await _hash(new)
    user.sessions_valid_after = datetime.now(UTC)
    await session.flush()
    return user_record(user)


async def _email_owner(session: AsyncSession, email: str) -> int | None:
    owner: int | None = await session.scalar(
        select(User.id).where(func.lower(User.email) == email.lower())
    )
    return owner


async def start_email_change(
    session: AsyncSession, user_id: int, new_email: str, password: str, *, valid_for: timedelta
) -> EmailChange:
    """Check the request and make the one-use link for the new address (any earlier one
    stops working). Raises AccountError (400) or EmailTaken (409); nothing is written then."""
    new_email = new_email.strip()
    user = await _locked(session, user_id)
    if not user.password_hash:
        raise AccountError(
            "current_password", "Set a password first: changing your address needs it."
        )
    if not _EMAIL_RE.match(new_email) or len(new_email) > 320:
        raise AccountError("email", "Enter an email address like name@example.com.")
    if new_email.lower() == user.email.lower():
        raise AccountError("email", f"{new_email} is already your address.")
    await _check_current(user, password)
    if await _email_owner(session, new_email) is not None:
        raise EmailTaken(new_email)
    token = await issue_token(session, user, EMAIL_CHANGE, valid_for, new_email=new_email)
    return EmailChange(user.id, user.display_name, user.email, new_email, token)


async def _live_change(session: AsyncSession, token: str) -> tuple[AccountToken, User]:
    row = None
    if MAILED_TOKEN_RE.fullmatch(token):
        row = await session.scalar(
            select(AccountToken)
            .where(AccountToken.token_hash == _digest(token), AccountToken.purpose == EMAIL_CHANGE)
            .with_for_update()
        )
    if row is None or row.new_email is None:
        raise AccountError("token", UNKNOWN_LINK)
    if row.used_at is not None:
        raise AccountError("token", USED_CHANGE_LINK)
    if row.expires_at <= datetime.now(UTC):
        raise AccountError("token", EXPIRED_LINK)
    user = await session.get(User, row.user_id, with_for_update=True)
    # The address changed since (another change, confirmed first): this link is spent.
    if user is None or user.email.lower() != row.email.lower():
        raise AccountError("token", USED_CHANGE_LINK)
    return row, user


async def pending_email_change(session: AsyncSession, token: str) -> tuple[str, str]:
    """The (old, new) addresses of a live link; it stays unused (a GET changes nothing)."""
    row, user = await _live_change(session, token)
    assert row.new_email is not None
    return user.email, row.new_email


async def confirm_email_change(session: AsyncSession, token: str) -> tuple[UserRecord, str]:
    """Make the link's new address the member's (verified), the link used up; the member
    and the old address. The address is checked again: someone may have taken it since."""
    row, user = await _live_change(session, token)
    new_email = row.new_email
    assert new_email is not None
    owner = await _email_owner(session, new_email)
    if owner is not None and owner != user.id:
        raise EmailTaken(new_email)
    old_email = user.email
    now = datetime.now(UTC)
    row.used_at = now
    user.email = new_email
    # Clicking the link mailed there proves the address.
    user.email_verified_at = now
    # Links mailed to the old address (a reset, a sign-in link) must not work any more.
    await session.execute(
        update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None))
        .values(used_at=now)
    )
    await session.flush()
    record(session, MemberEmailChanged(user.id, old_email, new_email))
    return user_record(user), old_email


async def has_password(session: AsyncSession, user_id: int) -> bool:
    found = await session.scalar(select(User.password_hash).where(User.id == user_id))
    return bool(found)
