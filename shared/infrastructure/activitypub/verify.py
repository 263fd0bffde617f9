"""Verifying a signed request end to end: shape, time window, body digest, key, signature.

The key comes from our cache of remote actors; when the signature does not
verify with the cached key, the key is fetched again once (the peer may have
rotated it) — at most once per key every REFETCH_INTERVAL, so forged
requests cannot make us hammer a server.
"""

from __future__ import annotations

import time

from sqlalchemy.ext.asyncio import AsyncSession

from shared.infrastructure.activitypub.http import FederationClient
from shared.infrastructure.activitypub.keys import load_public_key
from shared.infrastructure.activitypub.remote import RemoteActorError, RemoteActors
from shared.infrastructure.activitypub.signatures import (
    IncomingRequest,
    ParsedSignature,
    SignatureError,
    check_body_digest,
    parse_signature,
    verify_signature,
)
from shared.infrastructure.config import Settings
from shared.models.activitypub import Actor

REFETCH_INTERVAL = 30.0
GONE_STATUSES = (404, 410)


class KeyGoneError(SignatureError):
    """The signing key's actor no longer exists at its server (404/410).

    Still a signature failure; an inbox may treat a self-Delete as done, the
    way Mastodon does, so the deleted account's server stops retrying."""


_refetched_at: dict[str, float] = {}


def _may_refetch(key_id: str) -> bool:
    now = time.monotonic()
    if now - _refetched_at.get(key_id, -REFETCH_INTERVAL) < REFETCH_INTERVAL:
        return False
    if len(_refetched_at) > 10_000:
        _refetched_at.clear()
    _refetched_at[key_id] = now
    return True


async def verify_request(
    session: AsyncSession, settings: Settings, client: FederationClient, request: IncomingRequest
) -> Actor:
    """The actor who signed the request; SignatureError (say 401) when anything is off."""
    parsed = parse_signature(request)
    if request.method.upper() == "POST":
        check_body_digest(request.headers, request.body)
    actors = RemoteActors(session, settings, client)
    try:
        owner = await actors.key_owner(parsed.key_id)
    except RemoteActorError as exc:
        if exc.status in GONE_STATUSES:
            raise KeyGoneError(f"the actor of {parsed.key_id} is gone: {exc}") from None
        raise SignatureError(f"the key {parsed.key_id} cannot be used: {exc}") from None
    if _verifies(parsed, owner):
        return owner
    if owner.kind == "remote" and _may_refetch(parsed.key_id):
        try:
            owner = await actors.key_owner(parsed.key_id, refresh=True)
        except RemoteActorError as exc:
            if exc.status in GONE_STATUSES:
                raise KeyGoneError(f"the actor of {parsed.key_id} is gone: {exc}") from None
            raise SignatureError(f"the key {parsed.key_id} cannot be refetched: {exc}") from None
        if _verifies(parsed, owner):
            return owner
    raise SignatureError("the signature does not verify with the key of " + parsed.key_id)


def _verifies(parsed: ParsedSignature, owner: Actor) -> bool:
    if not owner.public_key_pem:
        return False
    try:
        key = load_public_key(owner.public_key_pem)
    except ValueError:
        return False
    return verify_signature(parsed, key)
