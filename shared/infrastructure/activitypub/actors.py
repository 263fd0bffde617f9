"""Our actors: one per app, one per member, and the instance actor; their rows and documents.

Every app's actor lives at `<app base>/actor` and projects the one platform
keypair under its own key id (`<actor>#main-key`, owner = that actor), so it
signs its own deliveries. Members are Person actors on federation at
`/users/<username>` with keys of their own, made with the member (the social
service's `create_member_actor`); GETs only read them. The instance
actor (`<federation>/instance`, an Application) signs our fetches; like every
actor it is fetchable without a signature, so no peer deadlocks on it.

Types: the blog (a publication) and federation (the cooperative itself) are
Organizations; market, events, cart and account post automatically and are
Services (Mastodon shows those as bots); the instance actor is an Application.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import ActorRecord
from shared.infrastructure.activitypub.http import Signer
from shared.infrastructure.activitypub.keys import (
    KeyPair,
    decrypt_private_key,
    encrypt_private_key,
    generate_keypair,
    load_private_key,
    platform_keypair,
)
from shared.infrastructure.config import APP_NAMES, Settings
from shared.models.activitypub import Actor, ActorKind
from shared.models.identity import User

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
ACTOR_CONTEXT: list[Any] = [
    AS_CONTEXT,
    SECURITY_CONTEXT,
    {"manuallyApprovesFollowers": "as:manuallyApprovesFollowers", "toot": "http://joinmastodon.org/ns#",
     "discoverable": "toot:discoverable", "indexable": "toot:indexable"},
]  # fmt: skip
INSTANCE = "instance"

APP_ACTOR_TYPES = {
    "blog": "Organization",
    "federation": "Organization",
    "market": "Service",
    "events": "Service",
    "cart": "Service",
    "account": "Service",
}
APP_SUMMARIES = {
    "blog": "Posts and pages from the Rose Ash cooperative.",
    "market": "New products from the member stalls of the Rose Ash market.",
    "events": "Markets, workshops and gatherings from the Rose Ash calendar.",
    "cart": "The Rose Ash cart.",
    "federation": "The Rose Ash cooperative of makers, writers and neighbours.",
    "account": "Rose Ash members' accounts.",
}
APP_LABELS = {
    "blog": "Blog",
    "market": "Market",
    "events": "Events",
    "cart": "Cart",
    "federation": "Social",
    "account": "Account",
}


def base_url(settings: Settings, app: str) -> str:
    return settings.apps[app].base_url


def host_of_base(url: str) -> str:
    return urlsplit(url).netloc


def app_actor_id(settings: Settings, app: str) -> str:
    return f"{base_url(settings, app)}/actor"


def instance_actor_id(settings: Settings) -> str:
    return f"{base_url(settings, 'federation')}/instance"


def member_actor_id(settings: Settings, username: str) -> str:
    return f"{base_url(settings, 'federation')}/users/{username}"


def instance_username(settings: Settings) -> str:
    # A domain name, like Mastodon's: dots keep it apart from every member's username.
    return urlsplit(base_url(settings, "federation")).hostname or "instance"


def _endpoints(actor_id: str, shared_inbox: str) -> dict[str, str]:
    return {
        "inbox_url": f"{actor_id}/inbox",
        "outbox_url": f"{actor_id}/outbox",
        "followers_url": f"{actor_id}/followers",
        "following_url": f"{actor_id}/following",
        "shared_inbox_url": shared_inbox,
        "key_id": f"{actor_id}#main-key",
    }


def app_actor_fields(settings: Settings, app: str) -> dict[str, Any]:
    """The columns of the app's (or the instance's) actor as the settings describe it."""
    base = base_url(settings, "federation" if app == INSTANCE else app)
    actor_id = instance_actor_id(settings) if app == INSTANCE else app_actor_id(settings, app)
    site = settings.site.name
    return {
        "ap_id": actor_id,
        "kind": "app",
        "type": "Application" if app == INSTANCE else APP_ACTOR_TYPES[app],
        "app_name": app,
        "preferred_username": instance_username(settings) if app == INSTANCE else app,
        "domain": host_of_base(base),
        "display_name": site if app == INSTANCE else f"{site} {APP_LABELS[app]}",
        "summary": "The Rose Ash server itself." if app == INSTANCE else APP_SUMMARIES[app],
        "url": f"{base}/",
        "icon_url": f"{base}/static/dist/img/logo.svg",
        "public_key_pem": platform_keypair(settings).public_pem,
        **_endpoints(actor_id, f"{base}/inbox"),
    }


async def ensure_app_actor(session: AsyncSession, settings: Settings, app: str) -> Actor:
    """The app's (or the instance's) actor row, created or brought up to date with settings."""
    row = app_actor_fields(settings, app)
    statement = insert(Actor).values(**row)
    changed = {key: statement.excluded[key] for key in row if key not in ("kind", "app_name")}
    upsert = statement.on_conflict_do_update(
        index_elements=[Actor.app_name], set_={**changed, "updated_at": func.now()}
    ).returning(Actor.id)
    actor_pk = (await session.execute(upsert)).scalar_one()
    actor = await session.get(Actor, actor_pk, populate_existing=True)
    assert actor is not None
    return actor


async def app_actor(session: AsyncSession, settings: Settings, app: str) -> Actor:
    """The app's actor row as the settings describe it; written only when it is missing
    or out of date (the caller commits)."""
    row = app_actor_fields(settings, app)
    actor = await session.scalar(select(Actor).where(Actor.app_name == app))
    if actor is not None and all(
        getattr(actor, key) == row[key] for key in ("ap_id", "key_id", "public_key_pem", "type")
    ):
        return actor
    return await ensure_app_actor(session, settings, app)


async def ensure_local_actors(session: AsyncSession, settings: Settings) -> None:
    for app in (*APP_NAMES, INSTANCE):
        await ensure_app_actor(session, settings, app)


def new_member_actor(settings: Settings, user: User) -> Actor:
    """A keyless actor row for the member, at the URLs the settings give (not yet added)."""
    actor_id = member_actor_id(settings, user.username)
    federation = base_url(settings, "federation")
    return Actor(
        ap_id=actor_id,
        kind="member",
        type="Person",
        user_id=user.id,
        preferred_username=user.username,
        domain=host_of_base(federation),
        display_name=user.display_name,
        url=f"{federation}/@{user.username}",
        **_endpoints(actor_id, f"{federation}/inbox"),
    )


def rehome_member_actor(settings: Settings, actor: Actor, username: str) -> bool:
    """Move the member's actor to the URLs the settings give (a dev port changed); whether
    anything moved. The caller flushes."""
    expected = member_actor_id(settings, username)
    if actor.ap_id == expected:
        return False
    federation = base_url(settings, "federation")
    for key, value in _endpoints(expected, f"{federation}/inbox").items():
        setattr(actor, key, value if key != "key_id" or actor.key_id else None)
    actor.ap_id, actor.domain = expected, host_of_base(federation)
    actor.url = f"{federation}/@{username}"
    return True


async def member_actor(session: AsyncSession, settings: Settings, username: str) -> Actor | None:
    """The member's actor row for the write paths (inbox, delivery), made with keys when
    the member has none yet; None when no member has this username or their actor is
    deleted. GETs read through the social service instead and never write."""
    user = await session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None:
        return None
    actor = await session.scalar(select(Actor).where(Actor.user_id == user.id))
    if actor is None:
        actor = new_member_actor(settings, user)
        session.add(actor)
        await session.flush()
    if actor.deleted_at is not None:  # the member deleted their account: nobody to receive
        return None
    if rehome_member_actor(settings, actor, user.username):
        await session.flush()
    await ensure_member_keys(session, settings, actor)
    actor.display_name = user.display_name
    actor.summary = member_summary(user.bio)
    actor.icon_url = user.avatar_url
    return actor


def member_summary(bio: str | None) -> str:
    """A member's bio as the actor's summary: their own text, escaped, in a paragraph."""
    return f"<p>{html.escape(bio)}</p>" if bio else ""


async def ensure_member_keys(
    session: AsyncSession, settings: Settings, actor: Actor, pair: KeyPair | None = None
) -> None:
    """Give a member actor a keypair (`pair`, or a fresh one) if it has none. Two racing
    callers agree on one."""
    if actor.public_key_pem and actor.private_key_pem and actor.key_id:
        return
    pair = pair or generate_keypair()
    await session.execute(
        update(Actor)
        .where(Actor.id == actor.id, Actor.public_key_pem.is_(None))
        .values(
            public_key_pem=pair.public_pem,
            private_key_pem=encrypt_private_key(settings.secret_key, pair.private_pem),
            key_id=f"{actor.ap_id}#main-key",
            inbox_url=actor.inbox_url or f"{actor.ap_id}/inbox",
            outbox_url=actor.outbox_url or f"{actor.ap_id}/outbox",
            followers_url=actor.followers_url or f"{actor.ap_id}/followers",
            following_url=actor.following_url or f"{actor.ap_id}/following",
        )
    )
    await session.refresh(actor)


def signer_for(settings: Settings, actor: Actor) -> Signer:
    """The key our actor signs with. Raises ValueError for a remote actor or a keyless member."""
    if actor.kind == ActorKind.APP and actor.key_id:
        return Signer(actor.key_id, platform_keypair(settings).private_key)
    if actor.kind == ActorKind.MEMBER and actor.key_id and actor.private_key_pem:
        pem = decrypt_private_key(settings.secret_key, actor.private_key_pem)
        return Signer(actor.key_id, load_private_key(pem))
    raise ValueError(f"{actor.ap_id} has no key of ours to sign with")


def instance_signer(settings: Settings) -> Signer:
    """The instance actor's key, from settings alone: a fetch never waits on the database
    (a peer verifying the fetch fetches our instance actor in turn)."""
    return Signer(f"{instance_actor_id(settings)}#main-key", platform_keypair(settings).private_key)


def actor_document(actor: ActorRecord) -> dict[str, Any]:
    """The actor as peers fetch it: every field Mastodon and the others require."""
    document: dict[str, Any] = {
        "@context": ACTOR_CONTEXT,
        "id": actor.ap_id,
        "type": actor.type,
        "preferredUsername": actor.preferred_username,
        "name": actor.display_name or actor.preferred_username,
        "summary": actor.summary,
        "url": actor.url or actor.ap_id,
        "inbox": actor.inbox_url,
        "outbox": actor.outbox_url,
        "followers": actor.followers_url,
        "following": actor.following_url,
        "endpoints": {"sharedInbox": actor.shared_inbox_url},
        "manuallyApprovesFollowers": actor.app_name == INSTANCE
        or actor.manually_approves_followers,
        "discoverable": actor.app_name != INSTANCE,
        "indexable": actor.app_name != INSTANCE,
        "published": _iso(actor.published_at),
        "publicKey": {
            "id": actor.key_id,
            "owner": actor.ap_id,
            "publicKeyPem": actor.public_key_pem,
        },
    }
    if actor.icon_url:
        media = "image/svg+xml" if actor.icon_url.endswith(".svg") else None
        icon = {"type": "Image", "url": absolute_url(actor.ap_id, actor.icon_url)}
        document["icon"] = {**icon, "mediaType": media} if media else icon
    return document


def absolute_url(base: str, url: str) -> str:
    """`url` as another server can fetch it: a path of ours (an uploaded image's
    `/media/...`) joined to the origin of `base` (the actor or object it belongs to);
    absolute URLs unchanged."""
    return urljoin(base, url)


def _iso(moment: datetime | None) -> str:
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def local_actor_by_id(session: AsyncSession, ap_id: str) -> Actor | None:
    return await session.scalar(
        select(Actor).where(
            Actor.ap_id == ap_id, Actor.kind != ActorKind.REMOTE, Actor.deleted_at.is_(None)
        )
    )
