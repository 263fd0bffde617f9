"""Verifying a signed request end to end: shape, time window, body digest, key, signature.

The key comes from our cache of remote actors; when the signature does not
verify with the cached key, the key is fetched again once (the peer may have
rotated it) — at most once per key every REFETCH_INTERVAL, so forged
requests cannot make us hammer a server.

Fetching a key is what an unauthenticated sender makes us do, so it is
bounded (`limits.KeyFetchLimits`): no database connection is held while we
wait for the key's server, a few fetches run at once per process, each
lookup has one overall deadline, and a keyId or host that just failed is
refused at once for a while instead of being asked again.
"""

from __future__ import annotations

import asyncio
import time
from typing import NoReturn
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.infrastructure.activitypub.http import FederationClient
from shared.infrastructure.activitypub.keys import load_public_key
from shared.infrastructure.activitypub.limits import KeyFetchLimits
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
from shared.models.activitypub import Actor, ActorKind

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


def key_host(key_id: str) -> str:
    return (urlsplit(key_id).hostname or "").lower()


async def verify_request(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    client: FederationClient,
    request: IncomingRequest,
) -> Actor:
    """The actor who signed the request; SignatureError (say 401) when anything is off,
    KeyFetchBusyError (say 503) when too many key fetches are already waiting."""
    parsed = parse_signature(request)
    if request.method.upper() == "POST":
        check_body_digest(request.headers, request.body)
    actors = RemoteActors(sessions, settings, client)
    owner = await actors.known_key_owner(parsed.key_id)
    if owner is None:
        owner = await _fetch_owner(actors, client.limits.keys, parsed.key_id)
    if _verifies(parsed, owner):
        return owner
    if owner.kind == ActorKind.REMOTE and _may_refetch(parsed.key_id):
        owner = await _fetch_owner(actors, client.limits.keys, parsed.key_id)
        if _verifies(parsed, owner):
            return owner
    raise SignatureError("the signature does not verify with the key of " + parsed.key_id)


async def _fetch_owner(actors: RemoteActors, limits: KeyFetchLimits, key_id: str) -> Actor:
    """Fetch the key's owner under the limits; failures are remembered for a while."""
    host = key_host(key_id)
    failed = limits.failed_keys.get(key_id)
    if failed is not None:
        _raise(key_id, failed[0] + " (failed recently)", failed[1])
    if limits.failed_hosts.get(host) is not None:
        raise SignatureError(f"the key {key_id} cannot be used: {host} failed recently")
    async with limits.slot():
        try:
            async with asyncio.timeout(limits.deadline_seconds):
                document, key = await actors.fetch_key_owner(key_id)
        except TimeoutError:
            limits.failed_hosts.set(host, "timed out")
            raise SignatureError(f"the key {key_id} took too long to fetch") from None
        except RemoteActorError as exc:
            if exc.status is None:  # no answer at all: the whole host is unusable for now
                limits.failed_hosts.set(host, str(exc))
            limits.failed_keys.set(key_id, (str(exc), exc.status))
            _raise(key_id, str(exc), exc.status)
    try:
        return await actors.store_key_owner(document, key)
    except RemoteActorError as exc:
        _raise(key_id, str(exc), exc.status)


def _raise(key_id: str, message: str, status: int | None) -> NoReturn:
    if status in GONE_STATUSES:
        raise KeyGoneError(f"the actor of {key_id} is gone: {message}")
    raise SignatureError(f"the key {key_id} cannot be used: {message}")


def _verifies(parsed: ParsedSignature, owner: Actor) -> bool:
    if not owner.public_key_pem:
        return False
    try:
        key = load_public_key(owner.public_key_pem)
    except ValueError:
        return False
    return verify_signature(parsed, key)
