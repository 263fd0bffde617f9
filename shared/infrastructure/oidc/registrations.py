"""Third-party OAuth/OIDC clients, registered by an operator, and the grants members gave.

A client is confidential (it gets a secret, shown once, stored as SHA-256) or
public (PKCE only, no secret). Redirect URIs are compared exactly, so they
are checked here once: absolute, https (http only for loopback), no
fragment. The six apps (first-party) are managed by configuration
(`clients.py`) and cannot be changed or removed here.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import ConnectedApp
from shared.infrastructure.oidc.clients import hash_client_secret
from shared.infrastructure.oidc.records import ClientRecord
from shared.infrastructure.oidc.scopes import unknown_scopes
from shared.infrastructure.oidc.store import client_record
from shared.models.identity import OAuthClient, OAuthConsent, OAuthToken

_LOOPBACK = ("localhost", "127.0.0.1", "[::1]", "::1")
_SLUG = re.compile(r"[^a-z0-9]+")


class RegistrationError(ValueError):
    """A client registration was refused; `field` names what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class NewClient:
    name: str
    redirect_uris: tuple[str, ...]
    scope: str = "openid profile email"
    confidential: bool = True
    post_logout_redirect_uris: tuple[str, ...] = ()
    backchannel_logout_uri: str | None = None


@dataclass(frozen=True, slots=True)
class RegisteredClient:
    client: ClientRecord
    secret: str | None  # only when just made (registered or rotated); never stored


def check_uri(field: str, uri: str) -> str:
    """`uri` if it may be a client's redirect target, else RegistrationError."""
    parts = urlsplit(uri)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise RegistrationError(field, f"{uri!r} is not an absolute http(s) URL.")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        raise RegistrationError(field, f"{uri!r} must use https (http only on loopback).")
    if parts.fragment or "#" in uri:
        raise RegistrationError(field, f"{uri!r} has a fragment: redirect URIs cannot.")
    return uri


def _checked(new: NewClient, *, oidc: bool) -> NewClient:
    name = new.name.strip()
    if not 1 <= len(name) <= 200:
        raise RegistrationError("name", "Give the client a name of up to 200 characters.")
    if not new.redirect_uris:
        raise RegistrationError("redirect_uris", "Give at least one redirect URI.")
    for uri in new.redirect_uris:
        check_uri("redirect_uris", uri)
    for uri in new.post_logout_redirect_uris:
        check_uri("post_logout_redirect_uris", uri)
    if new.backchannel_logout_uri:
        check_uri("backchannel_logout_uri", new.backchannel_logout_uri)
    scopes = new.scope.split()
    if oidc and "openid" not in scopes:
        raise RegistrationError("scope", "A client's scopes must include openid.")
    unknown = unknown_scopes(new.scope)
    if unknown:
        raise RegistrationError("scope", f"Unknown scope: {', '.join(unknown)}.")
    return NewClient(
        name=name,
        redirect_uris=tuple(dict.fromkeys(new.redirect_uris)),
        scope=" ".join(dict.fromkeys(scopes)),
        confidential=new.confidential,
        post_logout_redirect_uris=tuple(dict.fromkeys(new.post_logout_redirect_uris)),
        backchannel_logout_uri=new.backchannel_logout_uri or None,
    )


async def register_client(
    session: AsyncSession, new: NewClient, *, oidc: bool = True
) -> RegisteredClient:
    """A new third-party client; its secret (confidential clients) is in the answer only.

    `oidc=False` for a Mastodon client app, which asks for `read write` and no ID token."""
    new = _checked(new, oidc=oidc)
    slug = _SLUG.sub("-", new.name.lower()).strip("-")[:40] or "client"
    secret = secrets.token_urlsafe(32) if new.confidential else None
    row = OAuthClient(
        client_id=f"{slug}-{secrets.token_hex(4)}",
        client_secret_hash=hash_client_secret(secret) if secret else None,
        name=new.name,
        redirect_uris=list(new.redirect_uris),
        post_logout_redirect_uris=list(new.post_logout_redirect_uris),
        backchannel_logout_uri=new.backchannel_logout_uri,
        scope=new.scope,
        is_first_party=False,
    )
    session.add(row)
    await session.flush()
    return RegisteredClient(client_record(row), secret)


async def list_clients(session: AsyncSession) -> list[ClientRecord]:
    """Every third-party client, by name."""
    rows = await session.scalars(
        select(OAuthClient).where(OAuthClient.is_first_party.is_(False)).order_by(OAuthClient.name)
    )
    return [client_record(row) for row in rows]


async def _third_party(session: AsyncSession, client_id: str) -> OAuthClient | None:
    return await session.scalar(
        select(OAuthClient)
        .where(OAuthClient.client_id == client_id, OAuthClient.is_first_party.is_(False))
        .with_for_update()
    )


async def rotate_secret(session: AsyncSession, client_id: str) -> RegisteredClient | None:
    """A new secret for a confidential client (the old one stops working now); None for
    no such third-party client. A public client stays public."""
    row = await _third_party(session, client_id)
    if row is None or row.client_secret_hash is None:
        return None
    secret = secrets.token_urlsafe(32)
    row.client_secret_hash = hash_client_secret(secret)
    await session.flush()
    return RegisteredClient(client_record(row), secret)


async def remove_client(session: AsyncSession, client_id: str) -> bool:
    """Remove a third-party client with its codes, tokens and consents (cascade)."""
    row = await _third_party(session, client_id)
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    return True


async def list_connected_apps(session: AsyncSession, user_id: int) -> list[ConnectedApp]:
    """The third-party clients the member allowed, newest first."""
    rows = await session.execute(
        select(OAuthClient.client_id, OAuthClient.name, OAuthConsent.scope, OAuthConsent.granted_at)
        .join(OAuthConsent, OAuthConsent.client_id == OAuthClient.id)
        .where(OAuthConsent.user_id == user_id, OAuthClient.is_first_party.is_(False))
        .order_by(OAuthConsent.granted_at.desc())
    )
    return [ConnectedApp(*row) for row in rows.all()]


async def disconnect_app(session: AsyncSession, user_id: int, client_id: str) -> bool:
    """Forget the member's consent for the client and revoke every token it holds for
    them; whether there was a consent."""
    client_pk = await session.scalar(
        select(OAuthClient.id).where(
            OAuthClient.client_id == client_id, OAuthClient.is_first_party.is_(False)
        )
    )
    if client_pk is None:
        return False
    removed = await session.execute(
        delete(OAuthConsent).where(
            OAuthConsent.user_id == user_id, OAuthConsent.client_id == client_pk
        )
    )
    await session.execute(
        update(OAuthToken)
        .where(
            OAuthToken.user_id == user_id,
            OAuthToken.client_id == client_pk,
            OAuthToken.revoked_at.is_(None),
        )
        .values(revoked_at=datetime.now(UTC))
    )
    return bool(removed.rowcount)  # type: ignore[attr-defined]
