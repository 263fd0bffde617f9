"""A member's second factors: an authenticator app (TOTP) and one-time recovery codes.

The TOTP secret is sealed with Fernet under a key derived from SECRET_KEY
(the registry passes the key in), so a copy of the database alone cannot
mint codes. A code is accepted once: the time step it matched is kept and
no step at or before it counts again. Recovery codes are random, shown once
and stored as SHA-256 (they are high-entropy, so a slow hash adds nothing).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import UTC, datetime

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import SecondFactors, TotpEnrolment
from shared.models.identity import MemberPasskey, MemberRecoveryCode, MemberTotp, User

ISSUER = "Rose Ash"
RECOVERY_CODES = 10
# One step either side: a phone's clock a little off still signs in.
VALID_WINDOW = 1
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _recovery_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


class SqlTwoFactorService:
    def __init__(self, sealing_key: bytes | None) -> None:
        self._fernet = (
            Fernet(base64.urlsafe_b64encode(sealing_key)) if sealing_key is not None else None
        )

    def _seal(self, secret: str) -> str:
        if self._fernet is None:
            raise RuntimeError("two-factor is not wired with a sealing key")
        return self._fernet.encrypt(secret.encode()).decode()

    def _open(self, sealed: str) -> str | None:
        if self._fernet is None:
            raise RuntimeError("two-factor is not wired with a sealing key")
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:  # SECRET_KEY rotated: the member enrols again
            return None

    async def start_totp(self, session: AsyncSession, user_id: int) -> TotpEnrolment:
        """A new, not yet confirmed authenticator secret (replacing an unconfirmed one)."""
        user = await session.get(User, user_id)
        if user is None:
            raise LookupError(f"no member {user_id}")
        row = await session.get(MemberTotp, user_id)
        if row is not None and row.confirmed_at is not None:
            raise ValueError("an authenticator app is already set up")
        secret = pyotp.random_base32()
        if row is None:
            session.add(MemberTotp(user_id=user_id, secret_sealed=self._seal(secret)))
        else:
            row.secret_sealed, row.last_step = self._seal(secret), 0
        await session.flush()
        uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
        return TotpEnrolment(secret=secret, uri=uri)

    async def pending_totp(self, session: AsyncSession, user_id: int) -> TotpEnrolment | None:
        """The unconfirmed enrolment in progress, or None."""
        row = await session.get(MemberTotp, user_id)
        user = await session.get(User, user_id)
        if row is None or row.confirmed_at is not None or user is None:
            return None
        secret = self._open(row.secret_sealed)
        if secret is None:
            return None
        uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
        return TotpEnrolment(secret=secret, uri=uri)

    async def confirm_totp(
        self, session: AsyncSession, user_id: int, code: str
    ) -> list[str] | None:
        """Turn the pending enrolment on when `code` matches: the new recovery codes (shown
        once), or None when the code is wrong or nothing is pending."""
        row = await session.get(MemberTotp, user_id, with_for_update=True)
        if row is None or row.confirmed_at is not None or not await self._accept(row, code):
            return None
        row.confirmed_at = datetime.now(UTC)
        return await self.new_recovery_codes(session, user_id)

    async def new_recovery_codes(self, session: AsyncSession, user_id: int) -> list[str]:
        """A fresh set of recovery codes; the earlier set stops working."""
        await session.execute(
            delete(MemberRecoveryCode).where(MemberRecoveryCode.user_id == user_id)
        )
        codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
        session.add_all(
            MemberRecoveryCode(user_id=user_id, code_hash=_digest(_normalise(c))) for c in codes
        )
        await session.flush()
        return codes

    async def has_totp(self, session: AsyncSession, user_id: int) -> bool:
        row = await session.get(MemberTotp, user_id)
        return row is not None and row.confirmed_at is not None

    async def check_code(self, session: AsyncSession, user_id: int, code: str) -> bool:
        """Whether `code` is a current authenticator code (each accepted once) or an unused
        recovery code (used up now)."""
        row = await session.get(MemberTotp, user_id, with_for_update=True)
        if row is None or row.confirmed_at is None:
            return False
        if await self._accept(row, code):
            return True
        recovery = await session.scalar(
            select(MemberRecoveryCode)
            .where(
                MemberRecoveryCode.user_id == user_id,
                MemberRecoveryCode.code_hash == _digest(_normalise(code)),
                MemberRecoveryCode.used_at.is_(None),
            )
            .with_for_update()
        )
        if recovery is None:
            return False
        recovery.used_at = datetime.now(UTC)
        await session.flush()
        return True

    async def _accept(self, row: MemberTotp, code: str) -> bool:
        code = _normalise(code)
        secret = self._open(row.secret_sealed)
        if secret is None or not (code.isdigit() and len(code) == 6):
            return False
        totp = pyotp.TOTP(secret)
        now = datetime.now(UTC)
        step = totp.timecode(now)
        for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
            candidate = step + offset
            if candidate > row.last_step and secrets.compare_digest(
                totp.generate_otp(candidate), code
            ):
                row.last_step = candidate
                return True
        return False

    async def remove_totp(self, session: AsyncSession, user_id: int) -> bool:
        """Remove the authenticator app and its recovery codes; whether there was one."""
        removed = await session.execute(delete(MemberTotp).where(MemberTotp.user_id == user_id))
        await session.execute(
            delete(MemberRecoveryCode).where(MemberRecoveryCode.user_id == user_id)
        )
        return bool(removed.rowcount)  # type: ignore[attr-defined]

    async def get_factors(self, session: AsyncSession, user_id: int) -> SecondFactors:
        """What the member's security page lists."""
        totp = await self.has_totp(session, user_id)
        left = await session.scalar(
            select(func.count())
            .select_from(MemberRecoveryCode)
            .where(MemberRecoveryCode.user_id == user_id, MemberRecoveryCode.used_at.is_(None))
        )
        passkeys = await session.scalar(
            select(func.count()).select_from(MemberPasskey).where(MemberPasskey.user_id == user_id)
        )
        return SecondFactors(
            totp=totp, recovery_codes_left=int(left or 0), passkeys=int(passkeys or 0)
        )
