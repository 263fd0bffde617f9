"""The authorization server's database work, all asynchronous.

Reads happen before Authlib's synchronous hooks run (they get records from
`records.py`); writes the hooks ask for are queued as `Write`s and applied
here afterwards, in the request's transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.infrastructure.oidc.clients import (
    FIRST_PARTY_SCOPE,
    FirstPartyClient,
    hash_client_secret,
)
from shared.infrastructure.oidc.records import (
    AuthorizationCodeRecord,
    ClientRecord,
    TokenRecord,
    digest,
)
from shared.models.identity import (
    OAuthAuthorizationCode,
    OAuthClient,
    OAuthConsent,
    OAuthToken,
)

Write = Callable[[AsyncSession], Awaitable[None]]

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


def client_record(row: OAuthClient) -> ClientRecord:
    return ClientRecord(
        id=row.id,
        client_id=row.client_id,
        name=row.name,
        secret_hash=row.client_secret_hash,
        redirect_uris=tuple(row.redirect_uris),
        post_logout_redirect_uris=tuple(row.post_logout_redirect_uris or ()),
        backchannel_logout_uri=row.backchannel_logout_uri,
        scope=row.scope,
        is_first_party=row.is_first_party,
    )


async def load_clients(session: AsyncSession, client_ids: Iterable[str]) -> dict[str, ClientRecord]:
    wanted = {c for c in client_ids if c}
    if not wanted:
        return {}
    rows = await session.scalars(select(OAuthClient).where(OAuthClient.client_id.in_(wanted)))
    return {row.client_id: client_record(row) for row in rows}


async def load_code(session: AsyncSession, code: str) -> AuthorizationCodeRecord | None:
    """The code, locked until commit so two exchanges of it cannot both succeed."""
    row = await session.scalar(
        select(OAuthAuthorizationCode)
        .where(OAuthAuthorizationCode.code_hash == digest(code))
        .with_for_update()
    )
    if row is None:
        return None
    return AuthorizationCodeRecord(
        id=row.id,
        client_pk=row.client_id,
        user_id=row.user_id,
        redirect_uri=row.redirect_uri,
        scope=row.scope,
        nonce=row.nonce,
        code_challenge=row.code_challenge,
        code_challenge_method=row.code_challenge_method,
        session_id=row.session_id,
        auth_time=row.auth_time,
        expires_at=row.expires_at,
        used_at=row.used_at,
    )


async def load_token(
    session: AsyncSession, token: str, *, lock: bool = False, only: str | None = None
) -> TokenRecord | None:
    """The token row whose access or refresh token is `token` (or only that kind)."""
    hashed = digest(token)
    conditions = []
    if only != "refresh_token":
        conditions.append(OAuthToken.access_token_hash == hashed)
    if only != "access_token":
        conditions.append(OAuthToken.refresh_token_hash == hashed)
    query = select(OAuthToken).where(or_(*conditions))
    row = await session.scalar(query.with_for_update() if lock else query)
    if row is None:
        return None
    client = await session.get(OAuthClient, row.client_id)
    return TokenRecord(
        id=row.id,
        client_pk=row.client_id,
        user_id=row.user_id,
        scope=row.scope,
        family_id=row.family_id,
        authorization_code_id=row.authorization_code_id,
        session_id=row.session_id,
        issued_at=row.issued_at,
        access_expires_at=row.access_expires_at,
        refresh_expires_at=row.refresh_expires_at,
        rotated_at=row.rotated_at,
        revoked_at=row.revoked_at,
        presented_as="access_token" if row.access_token_hash == hashed else "refresh_token",
        client=client_record(client) if client else None,
    )


@dataclass(frozen=True, slots=True)
class NewCode:
    code: str
    client_pk: int
    user_id: int
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str
    code_challenge_method: str
    session_id: str | None
    auth_time: datetime | None
    expires_at: datetime


def insert_code(new: NewCode) -> Write:
    async def write(session: AsyncSession) -> None:
        session.add(
            OAuthAuthorizationCode(
                code_hash=digest(new.code),
                client_id=new.client_pk,
                user_id=new.user_id,
                redirect_uri=new.redirect_uri,
                scope=new.scope,
                nonce=new.nonce,
                code_challenge=new.code_challenge,
                code_challenge_method=new.code_challenge_method,
                session_id=new.session_id,
                auth_time=new.auth_time,
                expires_at=new.expires_at,
            )
        )

    return write


@dataclass(frozen=True, slots=True)
class NewToken:
    client_pk: int
    user_id: int
    access_token: str
    refresh_token: str | None
    scope: str
    family_id: uuid.UUID
    authorization_code_id: int | None
    session_id: str | None
    access_expires_at: datetime
    refresh_expires_at: datetime | None


def insert_token(new: NewToken) -> Write:
    async def write(session: AsyncSession) -> None:
        session.add(
            OAuthToken(
                client_id=new.client_pk,
                user_id=new.user_id,
                access_token_hash=digest(new.access_token),
                refresh_token_hash=digest(new.refresh_token) if new.refresh_token else None,
                family_id=new.family_id,
                authorization_code_id=new.authorization_code_id,
                scope=new.scope,
                session_id=new.session_id,
                access_expires_at=new.access_expires_at,
                refresh_expires_at=new.refresh_expires_at,
            )
        )

    return write


def _update(model: type, *where: object, **values: object) -> Write:
    async def write(session: AsyncSession) -> None:
        await session.execute(update(model).where(*where).values(**values))  # type: ignore[arg-type]

    return write


def mark_code_used(code_id: int) -> Write:
    return _update(OAuthAuthorizationCode, OAuthAuthorizationCode.id == code_id, used_at=_now())


def revoke_tokens_of_code(code_id: int) -> Write:
    """A replayed code: whatever it issued may be in an attacker's hands."""
    return _update(
        OAuthToken,
        OAuthToken.authorization_code_id == code_id,
        OAuthToken.revoked_at.is_(None),
        revoked_at=_now(),
    )


def rotate_token(token_id: int) -> Write:
    return _update(OAuthToken, OAuthToken.id == token_id, rotated_at=_now())


def revoke_family(family_id: uuid.UUID) -> Write:
    return _update(
        OAuthToken,
        OAuthToken.family_id == family_id,
        OAuthToken.revoked_at.is_(None),
        revoked_at=_now(),
    )


def revoke_token(token_id: int) -> Write:
    return _update(OAuthToken, OAuthToken.id == token_id, revoked_at=_now())


async def end_session_tokens(session: AsyncSession, sid: str) -> list[ClientRecord]:
    """Revoke every token of an SSO session; the clients that held them."""
    client_pks = set(
        await session.scalars(select(OAuthToken.client_id).where(OAuthToken.session_id == sid))
    )
    await session.execute(
        update(OAuthToken)
        .where(OAuthToken.session_id == sid, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=_now())
    )
    if not client_pks:
        return []
    rows = await session.scalars(select(OAuthClient).where(OAuthClient.id.in_(client_pks)))
    return [client_record(row) for row in rows]


async def member_session_ids(session: AsyncSession, user_id: int) -> list[str]:
    """The SSO session ids of a member's tokens that are not revoked: sessions the
    Redis index may have forgotten (its entries expire) but apps may still hold."""
    rows = await session.scalars(
        select(OAuthToken.session_id)
        .where(
            OAuthToken.user_id == user_id,
            OAuthToken.revoked_at.is_(None),
            OAuthToken.session_id.is_not(None),
        )
        .distinct()
    )
    return [sid for sid in rows if sid]


async def revoke_member_tokens(session: AsyncSession, user_id: int) -> None:
    """Revoke every live token of a member, whatever session issued it."""
    await session.execute(
        update(OAuthToken)
        .where(OAuthToken.user_id == user_id, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=_now())
    )


async def has_consent(session: AsyncSession, user_id: int, client_pk: int, scope: str) -> bool:
    granted = await session.scalar(
        select(OAuthConsent.scope).where(
            OAuthConsent.user_id == user_id, OAuthConsent.client_id == client_pk
        )
    )
    return granted is not None and set(scope.split()) <= set(granted.split())


async def save_consent(session: AsyncSession, user_id: int, client_pk: int, scope: str) -> None:
    row = await session.scalar(
        select(OAuthConsent).where(
            OAuthConsent.user_id == user_id, OAuthConsent.client_id == client_pk
        )
    )
    if row is None:
        session.add(OAuthConsent(user_id=user_id, client_id=client_pk, scope=scope))
    else:
        row.scope = " ".join(sorted(set(row.scope.split()) | set(scope.split())))
        row.granted_at = _now()
    await session.flush()


_URL_FIELDS = ("redirect_uris", "post_logout_redirect_uris", "backchannel_logout_uri")


async def register_first_party_clients(
    session: AsyncSession, clients: Iterable[FirstPartyClient], *, replace_urls: bool = False
) -> int:
    """Create or update the apps' client rows; how many changed.

    Unchanged rows are not written (not even locked), so every federation
    process can run this at start-up without contending. A row registered
    for other URLs (another platform, or another configuration, sharing this
    database) is left as it is with an error in the log: replacing it would
    silently break signing in on whichever platform registered it first.
    `replace_urls` (OIDC_REPLACE_CLIENT_URLS=true, for one start after the
    operator changed the base URLs on purpose) replaces it.
    """
    changed = 0
    for client in clients:
        wanted = {
            "name": client.name,
            "client_secret_hash": hash_client_secret(client.client_secret),
            "redirect_uris": [client.redirect_uri],
            "post_logout_redirect_uris": [client.post_logout_redirect_uri],
            "backchannel_logout_uri": client.backchannel_logout_uri,
            "scope": FIRST_PARTY_SCOPE,
            "is_first_party": True,
        }
        row = await session.scalar(
            select(OAuthClient).where(OAuthClient.client_id == client.client_id)
        )
        if row is None:
            session.add(OAuthClient(client_id=client.client_id, **wanted))
            changed += 1
            continue
        clash = [name for name in _URL_FIELDS if getattr(row, name) != wanted[name]]
        if clash and not replace_urls:
            log.error(
                "first-party OAuth client %r is registered for %s, not this process's %s: "
                "left as it is (another platform shares this database?). If the base URLs "
                "changed on purpose, start federation once with OIDC_REPLACE_CLIENT_URLS=true",
                client.client_id,
                row.redirect_uris,
                wanted["redirect_uris"],
            )
            continue
        if any(getattr(row, name) != value for name, value in wanted.items()):
            for name, value in wanted.items():
                setattr(row, name, value)
            changed += 1
    return changed
