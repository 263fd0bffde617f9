"""Members: who they are, how they sign up and prove it is them.

Passwords are optional (a member may sign in by mailed link only) and hashed
with argon2 (argon2-cffi's defaults, rehashed when those change). Mailed
tokens are stored as their SHA-256 only and are single-use.

Argon2 takes about 200 ms of CPU by design: it runs in a small thread pool of
its own (argon2-cffi releases the GIL while hashing), never on the event
loop, so a burst of sign-in attempts queues there while every other request
of the authorization server is still served.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import MailedToken, NewMember, UserRecord
from shared.contracts.errors import AccountError
from shared.contracts.events import MemberCreated, MemberDeleted, MemberProfileChanged, record
from shared.contracts.profiles import MAX_BIO, MAX_DISPLAY_NAME, MemberProfile
from shared.models.identity import AccountToken, User
from shared.services.identity import deletion

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
PURPOSES = ("password_reset", "email_verification", "magic_link")
USED_LINK = "That link was used already: each link signs in once. Ask for a new one."
EXPIRED_LINK = "That link has expired. Ask for a new one."
UNKNOWN_LINK = "That link is not one of ours, or it was cut short. Ask for a new one."
_USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{1,30}$")
# secrets.token_urlsafe(32): what create_mailed_token mints, and all it accepts.
MAILED_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_hasher = PasswordHasher()
ARGON2_THREADS = 2
_argon2_pool = ThreadPoolExecutor(max_workers=ARGON2_THREADS, thread_name_prefix="argon2")
# Verified against when no member matches, so a wrong login takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("rose-ash: no such member")


def user_record(user: User) -> UserRecord:
    return UserRecord(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        email=user.email,
        is_admin=user.is_admin,
        email_verified=user.email_verified_at is not None,
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(
    session: AsyncSession,
    user: User,
    purpose: str,
    valid_for: timedelta,
    *,
    new_email: str | None = None,
) -> str:
    """A new one-use mailed token of `purpose` for `user`, stored hashed; every unused
    earlier one of that purpose stops working."""
    now = datetime.now(UTC)
    await session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_digest(token),
            email=user.email,
            new_email=new_email,
            expires_at=now + valid_for,
        )
    )
    await session.flush()
    return token


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            "password", f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters."
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError("password", "That password is too long.")


class SqlIdentityService:
    async def get_user(self, session: AsyncSession, user_id: int) -> UserRecord | None:
        user = await session.get(User, user_id)
        return user_record(user) if user else None

    async def get_session_user(
        self, session: AsyncSession, user_id: int, signed_in_at: float
    ) -> UserRecord | None:
        """The member of a session that began at `signed_in_at` (Unix time), or None when
        the member is gone or ended every session since (a password reset)."""
        user = await session.get(User, user_id)
        if user is None or not session_is_current(user, signed_in_at):
            return None
        return user_record(user)

    async def get_user_by_username(self, session: AsyncSession, username: str) -> UserRecord | None:
        user = await session.scalar(
            select(User).where(func.lower(User.username) == username.lower())
        )
        return user_record(user) if user else None

    async def get_user_by_email(self, session: AsyncSession, email: str) -> UserRecord | None:
        user = await session.scalar(
            select(User).where(func.lower(User.email) == email.strip().lower())
        )
        return user_record(user) if user else None

    async def create_member(self, session: AsyncSession, member: NewMember) -> UserRecord:
        email, username = member.email.strip(), member.username.strip()
        display_name = member.display_name.strip() or username
        # Every refused field at once, so the form can show them all together.
        errors: dict[str, str] = {}
        if not _EMAIL_RE.match(email) or len(email) > 320:
            errors["email"] = "Enter an email address like name@example.com."
        elif await self.get_user_by_email(session, email):
            errors["email"] = "There is already an account with that email address."
        if not _USERNAME_RE.match(username):
            errors["username"] = "Use up to 30 letters, digits and underscores for your username."
        elif await self.get_user_by_username(session, username):
            errors["username"] = "That username is taken."
        if len(display_name) > 100:
            errors["display_name"] = "Keep your name under 100 characters."
        try:
            if member.password:  # no password: the member signs in by mailed link
                _check_password(member.password)
        except AccountError as error:
            errors[error.field] = error.message
        if errors:
            raise AccountError.of_fields(errors)
        user = User(
            email=email,
            username=username,
            display_name=display_name,
            password_hash=await _hash(member.password) if member.password else None,
        )
        session.add(user)
        await session.flush()
        # The social domain makes the member's actor in this transaction (handlers.py).
        record(session, MemberCreated(user.id))
        return user_record(user)

    async def authenticate(
        self, session: AsyncSession, login: str, password: str
    ) -> UserRecord | None:
        login = login.strip().lower()
        column = User.email if "@" in login else User.username
        user = await session.scalar(select(User).where(func.lower(column) == login))
        if user is None or not user.password_hash:
            await _verify(_DUMMY_HASH, password)
            return None
        if not await _verify(user.password_hash, password):
            return None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = await _hash(password)
            await session.flush()
        return user_record(user)

    async def create_mailed_token(
        self, session: AsyncSession, user_id: int, purpose: str, *, valid_for: timedelta
    ) -> MailedToken:
        if purpose not in PURPOSES:
            raise ValueError(f"unknown token purpose {purpose!r}")
        user = await session.get(User, user_id)
        if user is None:
            raise LookupError(f"no member {user_id}")
        token = await issue_token(session, user, purpose, valid_for)
        return MailedToken(
            user_id=user_id, email=user.email, display_name=user.display_name, token=token
        )

    async def mailed_token_is_live(self, session: AsyncSession, token: str, purpose: str) -> bool:
        """Whether `token` is a live (unused, unexpired) mailed token for `purpose`."""
        if not MAILED_TOKEN_RE.fullmatch(token):
            return False
        return await self._use_token(session, token, purpose, check_only=True) is not None

    async def reset_password(
        self, session: AsyncSession, token: str, password: str
    ) -> UserRecord | None:
        found = await self._use_token(session, token, "password_reset", check_only=True)
        if found is None:
            return None
        _check_password(password)
        row, user = found
        row.used_at = datetime.now(UTC)
        user.password_hash = await _hash(password)
        # In the same transaction as the new password: once it commits, no
        # session that began before it counts anywhere, delivered logout or not.
        user.sessions_valid_after = row.used_at
        await session.flush()
        return user_record(user)

    async def verify_email(self, session: AsyncSession, token: str) -> UserRecord | None:
        found = await self._use_token(session, token, "email_verification")
        if found is None:
            return None
        _, user = found
        user.email_verified_at = user.email_verified_at or datetime.now(UTC)
        await session.flush()
        return user_record(user)

    async def sign_in_with_link(
        self, session: AsyncSession, token: str, *, use: bool = True
    ) -> UserRecord:
        """The member a sign-in link was mailed to, the link used up and the address
        thereby verified (`use=False`: only checked). Raises AccountError("token", ...)
        saying whether the link was used, expired or unknown."""
        row = None
        if MAILED_TOKEN_RE.fullmatch(token):
            row = await session.scalar(
                select(AccountToken)
                .where(
                    AccountToken.token_hash == _digest(token),
                    AccountToken.purpose == "magic_link",
                )
                .with_for_update()
            )
        if row is None:
            raise AccountError("token", UNKNOWN_LINK)
        if row.used_at is not None:
            raise AccountError("token", USED_LINK)
        now = datetime.now(UTC)
        if row.expires_at <= now:
            raise AccountError("token", EXPIRED_LINK)
        user = await session.get(User, row.user_id)
        if user is None or user.email.lower() != row.email.lower():
            raise AccountError("token", UNKNOWN_LINK)
        if not use:
            return user_record(user)
        row.used_at = now
        user.email_verified_at = user.email_verified_at or now
        await session.flush()
        return user_record(user)

    async def has_password(self, session: AsyncSession, user_id: int) -> bool:
        user = await session.get(User, user_id)
        return user is not None and bool(user.password_hash)

    async def tombstone_member(self, session: AsyncSession, user_id: int) -> MemberDeleted:
        return await deletion.tombstone_member(session, user_id)

    async def get_profile(self, session: AsyncSession, user_id: int) -> MemberProfile | None:
        user = await session.get(User, user_id)
        return MemberProfile(user.display_name, user.bio, user.avatar_url) if user else None

    async def update_profile(
        self, session: AsyncSession, user_id: int, profile: MemberProfile
    ) -> MemberProfile | None:
        display_name, bio = profile.display_name.strip(), profile.bio.strip()
        errors = {}
        if not display_name or len(display_name) > MAX_DISPLAY_NAME:
            errors["display_name"] = f"Give a name of 1 to {MAX_DISPLAY_NAME} characters."
        if len(bio) > MAX_BIO:
            errors["bio"] = f"The bio is at most {MAX_BIO} characters."
        if errors:
            raise AccountError.of_fields(errors)
        user = await session.get(User, user_id, with_for_update=True)
        if user is None:
            return None
        user.display_name, user.bio = display_name, bio
        if profile.avatar_url is not None:
            user.avatar_url = profile.avatar_url
        await session.flush()
        record(session, MemberProfileChanged(user.id))
        return MemberProfile(user.display_name, user.bio, user.avatar_url)

    async def _use_token(
        self, session: AsyncSession, token: str, purpose: str, *, check_only: bool = False
    ) -> tuple[AccountToken, User] | None:
        """The live token row and its member, locked; marked used unless `check_only`."""
        if not MAILED_TOKEN_RE.fullmatch(token):
            return None
        row = await session.scalar(
            select(AccountToken)
            .where(AccountToken.token_hash == _digest(token), AccountToken.purpose == purpose)
            .with_for_update()
        )
        now = datetime.now(UTC)
        if row is None or row.used_at is not None or row.expires_at <= now:
            return None
        user = await session.get(User, row.user_id)
        if user is None or user.email.lower() != row.email.lower():
            return None
        if not check_only:
            row.used_at = now
        return row, user


def session_is_current(user: User, signed_in_at: float) -> bool:
    """Whether a session of `user` that began at `signed_in_at` still counts."""
    epoch = user.sessions_valid_after
    return epoch is None or signed_in_at > epoch.timestamp()


def _verify_now(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def _verify(password_hash: str, password: str) -> bool:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_argon2_pool, _verify_now, password_hash, password)


async def _hash(password: str) -> str:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_argon2_pool, _hasher.hash, password)
