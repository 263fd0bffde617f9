"""Passkeys (WebAuthn, via the `webauthn` package): a passwordless sign-in on its own, or
the second step after a password or a sign-in link.

Ceremonies are two calls: `*_options` makes the options the browser needs and
the challenge to expect (the caller keeps the challenge, server side, until
the answer comes); `register` / `authenticate` verify the browser's answer
against it. Passkeys are discoverable (resident) credentials, so signing in
needs no username first. The sign count is kept and must grow when the
authenticator keeps one (a cloned credential shows up as a count that does not).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import parse_authentication_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from shared.contracts.dtos import PasskeyCeremony, PasskeyParty, PasskeyRecord, UserRecord
from shared.contracts.errors import PasskeyError
from shared.models.identity import MemberPasskey, User
from shared.services.identity.members import user_record

MAX_NAME_LENGTH = 100


def _record(row: MemberPasskey) -> PasskeyRecord:
    return PasskeyRecord(
        id=row.id, name=row.name, created_at=row.created_at, last_used_at=row.last_used_at
    )


class SqlPasskeyService:
    async def registration_options(
        self, session: AsyncSession, rp: PasskeyParty, user: UserRecord
    ) -> PasskeyCeremony:
        existing = await session.scalars(
            select(MemberPasskey.credential_id).where(MemberPasskey.user_id == user.id)
        )
        options = generate_registration_options(
            rp_id=rp.rp_id,
            rp_name=rp.name,
            user_name=user.username,
            user_id=str(user.id).encode(),
            user_display_name=user.display_name,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.PREFERRED,
            ),
            exclude_credentials=[PublicKeyCredentialDescriptor(id=c) for c in existing],
        )
        return PasskeyCeremony(options_to_json(options), options.challenge)

    async def register(
        self,
        session: AsyncSession,
        rp: PasskeyParty,
        user_id: int,
        credential: str,
        challenge: bytes,
        name: str,
    ) -> PasskeyRecord:
        """Keep the new passkey; raises PasskeyError when the answer does not verify."""
        try:
            verified = verify_registration_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=rp.rp_id,
                expected_origin=rp.origin,
            )
        except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
            raise PasskeyError(f"That passkey could not be set up: {exc}") from None
        row = MemberPasskey(
            user_id=user_id,
            credential_id=verified.credential_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            name=(name.strip() or "Passkey")[:MAX_NAME_LENGTH],
        )
        session.add(row)
        await session.flush()
        return _record(row)

    async def authentication_options(
        self, session: AsyncSession, rp: PasskeyParty, user_id: int | None = None
    ) -> PasskeyCeremony:
        """Options for signing in: any passkey of ours (None), or one of `user_id`'s."""
        allowed = None
        if user_id is not None:
            ids = await session.scalars(
                select(MemberPasskey.credential_id).where(MemberPasskey.user_id == user_id)
            )
            allowed = [PublicKeyCredentialDescriptor(id=c) for c in ids]
        options = generate_authentication_options(
            rp_id=rp.rp_id,
            allow_credentials=allowed,
            user_verification=UserVerificationRequirement.PREFERRED,
        )
        return PasskeyCeremony(options_to_json(options), options.challenge)

    async def authenticate(
        self,
        session: AsyncSession,
        rp: PasskeyParty,
        credential: str,
        challenge: bytes,
        *,
        user_id: int | None = None,
    ) -> UserRecord:
        """The member whose passkey signed the challenge (only `user_id`'s, if given).
        Raises PasskeyError when it is unknown or does not verify."""
        try:
            parsed = parse_authentication_credential_json(credential)
        except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
            raise PasskeyError(f"That was not a passkey answer: {exc}") from None
        row = await session.scalar(
            select(MemberPasskey)
            .where(MemberPasskey.credential_id == parsed.raw_id)
            .with_for_update()
        )
        if row is None or (user_id is not None and row.user_id != user_id):
            raise PasskeyError("That passkey is not registered here.")
        try:
            verified = verify_authentication_response(
                credential=parsed,
                expected_challenge=challenge,
                expected_rp_id=rp.rp_id,
                expected_origin=rp.origin,
                credential_public_key=row.public_key,
                credential_current_sign_count=row.sign_count,
            )
        except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
            raise PasskeyError(f"That passkey did not sign in: {exc}") from None
        row.sign_count = verified.new_sign_count
        row.last_used_at = datetime.now(UTC)
        user = await session.get(User, row.user_id)
        if user is None:
            raise PasskeyError("That passkey is not registered here.")
        await session.flush()
        return user_record(user)

    async def list_passkeys(self, session: AsyncSession, user_id: int) -> list[PasskeyRecord]:
        rows = await session.scalars(
            select(MemberPasskey)
            .where(MemberPasskey.user_id == user_id)
            .order_by(MemberPasskey.created_at)
        )
        return [_record(row) for row in rows]

    async def has_passkeys(self, session: AsyncSession, user_id: int) -> bool:
        found = await session.scalar(
            select(MemberPasskey.id).where(MemberPasskey.user_id == user_id).limit(1)
        )
        return found is not None

    async def remove_passkey(self, session: AsyncSession, user_id: int, passkey_id: int) -> bool:
        """Remove one of the member's passkeys; whether it was theirs."""
        removed = await session.execute(
            delete(MemberPasskey).where(
                MemberPasskey.id == passkey_id, MemberPasskey.user_id == user_id
            )
        )
        return bool(removed.rowcount)  # type: ignore[attr-defined]
