"""Remote actors and their keys: fetched with a signed GET (the instance actor signs),
checked, cached in `ap_actors`, refetched when stale or when a signature fails.

The keyId is never turned into an actor id by string surgery: it is
dereferenced (without its fragment). An actor document must carry a
`publicKey` whose id is that keyId; a bare Key document must name an owner
whose own document lists the same key id (Mastodon's `confirmed_owner?`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urldefrag, urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.infrastructure.activitypub.actors import instance_signer
from shared.infrastructure.activitypub.http import FederationClient, FetchError
from shared.infrastructure.config import Settings
from shared.infrastructure.html import sanitize_html
from shared.models.activitypub import Actor, ActorKind

ACTOR_TYPES = frozenset({"Person", "Service", "Application", "Group", "Organization"})
STALE_AFTER = timedelta(days=1)


class RemoteActorError(Exception):
    """A remote actor or key could not be fetched or did not check out; `status` is the
    HTTP status the remote answered, when it answered."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def first_id(value: Any) -> str | None:
    """The id of a reference that may be a string, an object or a list of either."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return first_id(value.get("id"))
    if isinstance(value, list) and value:
        return first_id(value[0])
    return None


def _public_keys(document: dict[str, Any]) -> list[dict[str, Any]]:
    keys = document.get("publicKey")
    items = keys if isinstance(keys, list) else [keys]
    return [key for key in items if isinstance(key, dict) and key.get("publicKeyPem")]


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


async def _store(session: AsyncSession, document: dict[str, Any], key: dict[str, Any]) -> Actor:
    ap_id = str(document["id"])
    endpoints = document.get("endpoints") if isinstance(document.get("endpoints"), dict) else {}
    domain = urlsplit(ap_id).netloc[:255]
    username = _text(document.get("preferredUsername"), 100) or ap_id.rsplit("/", 1)[-1][:100]
    icon = document.get("icon")
    icon_url = first_id(icon.get("url")) if isinstance(icon, dict) else first_id(icon)
    row = {
        "ap_id": ap_id,
        "kind": ActorKind.REMOTE,
        "type": _text(document.get("type"), 30),
        "preferred_username": username,
        "domain": domain,
        "display_name": _text(document.get("name"), 200),
        "summary": sanitize_html(_text(document.get("summary"), 20_000)),
        "icon_url": (icon_url or "")[:2048] or None,
        "url": (first_id(document.get("url")) or "")[:2048] or None,
        "inbox_url": first_id(document.get("inbox")),
        "shared_inbox_url": first_id((endpoints or {}).get("sharedInbox"))
        or first_id(document.get("sharedInbox")),
        "outbox_url": first_id(document.get("outbox")),
        "followers_url": first_id(document.get("followers")),
        "following_url": first_id(document.get("following")),
        "key_id": str(key["id"]),
        "public_key_pem": str(key["publicKeyPem"]),
        "fetched_at": datetime.now(UTC),
        "deleted_at": None,
        "manually_approves_followers": document.get("manuallyApprovesFollowers") is True,
    }
    # A username freed by an actor the server since replaced must not block the new one.
    await session.execute(
        update(Actor)
        .where(
            Actor.domain == domain,
            Actor.preferred_username == username,
            Actor.ap_id != ap_id,
            Actor.kind == ActorKind.REMOTE,
        )
        .values(
            preferred_username=func.concat(func.left(Actor.preferred_username, 80), "~", Actor.id)
        )
    )
    await session.execute(
        update(Actor)
        .where(Actor.key_id == row["key_id"], Actor.ap_id != ap_id, Actor.kind == ActorKind.REMOTE)
        .values(key_id=None)
    )
    statement = insert(Actor).values(**row)
    upsert = statement.on_conflict_do_update(
        index_elements=[Actor.ap_id],
        set_={k: statement.excluded[k] for k in row if k not in ("ap_id", "kind")},
        where=Actor.kind == ActorKind.REMOTE,
    ).returning(Actor.id)
    actor_pk = (await session.execute(upsert)).scalar_one_or_none()
    if actor_pk is None:
        raise RemoteActorError(f"{ap_id} is one of our own actors")
    actor = await session.get(Actor, actor_pk, populate_existing=True)
    assert actor is not None
    return actor


def _check_actor(document: dict[str, Any], expected_id: str) -> None:
    if document.get("id") != expected_id:
        raise RemoteActorError(f"{expected_id} answered a document with id {document.get('id')}")
    if document.get("type") not in ACTOR_TYPES:
        raise RemoteActorError(f"{expected_id} is a {document.get('type')}, not an actor")
    if not first_id(document.get("inbox")):
        raise RemoteActorError(f"{expected_id} has no inbox")


class RemoteActors:
    """Fetches and caches remote actors for one request or one worker task.

    Given a sessionmaker, each database step runs in a short transaction of its
    own and no connection is held while a remote server is asked: a slow or
    silent server then costs a socket, never a slot of the pool. Given a
    session (callers already inside a transaction), it works in that session.
    """

    def __init__(
        self,
        db: AsyncSession | async_sessionmaker[AsyncSession],
        settings: Settings,
        client: FederationClient,
    ):
        self._db = db
        self.settings = settings
        self.client = client

    @asynccontextmanager
    async def _step(self) -> AsyncIterator[AsyncSession]:
        if isinstance(self._db, AsyncSession):
            yield self._db
            return
        async with self._db() as session, session.begin():
            yield session

    async def _get(self, url: str) -> dict[str, Any]:
        signer = instance_signer(self.settings)
        try:
            document = await self.client.get_json(url, signer)
        except FetchError as exc:
            raise RemoteActorError(str(exc), exc.status) from None
        return document

    async def store_key_owner(self, document: dict[str, Any], key: dict[str, Any]) -> Actor:
        """Cache a fetched, checked owner document with its key; the stored actor."""
        async with self._step() as session:
            return await _store(session, document, key)

    async def actor(self, ap_id: str, *, refresh: bool = False) -> Actor:
        """The actor with this id: ours, cached, or fetched (when missing, stale or asked)."""
        ap_id = urldefrag(ap_id).url
        async with self._step() as session:
            cached = await session.scalar(select(Actor).where(Actor.ap_id == ap_id))
        if cached is not None and cached.kind != ActorKind.REMOTE:
            return cached
        fresh = (
            cached is not None
            and cached.fetched_at
            and (datetime.now(UTC) - cached.fetched_at < STALE_AFTER)
        )
        if cached is not None and fresh and not refresh:
            return cached
        document = await self._get(ap_id)
        _check_actor(document, ap_id)
        keys = _public_keys(document)
        if not keys:
            raise RemoteActorError(f"{ap_id} publishes no public key")
        return await self.store_key_owner(document, keys[0])

    async def known_key_owner(self, key_id: str) -> Actor | None:
        """The cached owner of this key id, without asking anyone."""
        async with self._step() as session:
            return await session.scalar(
                select(Actor).where(Actor.key_id == key_id, Actor.deleted_at.is_(None))
            )

    async def key_owner(self, key_id: str, *, refresh: bool = False) -> Actor:
        """The actor owning this key id, with the key's PEM; RemoteActorError when it
        cannot be fetched or the owner does not confirm the key."""
        if not refresh:
            known = await self.known_key_owner(key_id)
            if known is not None:
                return known
        return await self.store_key_owner(*await self.fetch_key_owner(key_id))

    async def fetch_key_owner(self, key_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The owner's checked document and the key in it, fetched (no database)."""
        url = urldefrag(key_id).url
        document = await self._get(url)
        if document.get("type") in ACTOR_TYPES:
            _check_actor(document, url)
            owner_document = document
        else:  # a bare Key: its owner must list it
            owner = first_id(document.get("owner"))
            if document.get("id") != key_id or not owner:
                raise RemoteActorError(f"{key_id} is neither an actor nor an owned key")
            owner_document = await self._get(owner)
            _check_actor(owner_document, owner)
        for key in _public_keys(owner_document):
            if key.get("id") == key_id:
                if first_id(key.get("owner")) not in (None, owner_document["id"]):
                    raise RemoteActorError(f"{key_id} names another owner")
                return owner_document, key
        raise RemoteActorError(f"{owner_document['id']} does not list the key {key_id}")
