"""Accounts as the hub shows them: our members' actors and cached remote ones, found by
id, by handle (`cleo`, `@alice@herd.example`) or, for a handle we have not met, by
WebFinger on its server."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.social import AccountRecord, NotVisible, SocialError
from shared.infrastructure.activitypub.actors import member_summary
from shared.infrastructure.activitypub.http import FederationClient, FetchError
from shared.infrastructure.activitypub.remote import RemoteActorError, RemoteActors
from shared.infrastructure.config import Settings
from shared.infrastructure.html import sanitize_html
from shared.models.activitypub import Actor, ActorKind, ApObject, Follow, FollowState
from shared.models.identity import User

log = logging.getLogger(__name__)
HANDLE = re.compile(r"^@?(?P<user>[\w.\-]{1,100})(?:@(?P<host>[\w.\-]+(?::\d{1,5})?))?$")


def parse_handle(handle: str) -> tuple[str, str | None]:
    """(username, host or None) of `@user@host`, `user@host` or `user`; SocialError for
    anything else."""
    found = HANDLE.match(handle.strip())
    if found is None:
        raise SocialError(f"{handle!r} is not a handle like @name@server.example")
    return found["user"], (found["host"].lower() if found["host"] else None)


def local_domain(settings: Settings) -> str:
    base = settings.apps["federation"].base_url
    return base.split("://", 1)[1].split("/", 1)[0].lower()


def account_record(
    actor: Actor, user: User | None = None, counts: tuple[int, ...] = ()
) -> AccountRecord:
    local = actor.kind != ActorKind.REMOTE
    name = (user.display_name if user else actor.display_name) or actor.preferred_username
    note = member_summary(user.bio) if user else sanitize_html(actor.summary or "")
    followers, following, statuses = (*counts, 0, 0, 0)[:3]
    return AccountRecord(
        id=actor.id,
        ap_id=actor.ap_id,
        username=actor.preferred_username,
        acct=actor.preferred_username if local else f"{actor.preferred_username}@{actor.domain}",
        display_name=name,
        note_html=note,
        url=actor.url or actor.ap_id,
        avatar=(user.avatar_url if user else actor.icon_url) or None,
        is_local=local,
        locked=actor.manually_approves_followers,
        created_at=actor.created_at,
        followers_count=followers,
        following_count=following,
        statuses_count=statuses,
    )


async def records(session: AsyncSession, actor_ids: Iterable[int]) -> dict[int, AccountRecord]:
    """Records of these actors (without counts), by id; unknown ids are left out."""
    wanted = set(actor_ids)
    if not wanted:
        return {}
    rows = await session.execute(
        select(Actor, User).outerjoin(User, Actor.user_id == User.id).where(Actor.id.in_(wanted))
    )
    return {actor.id: account_record(actor, user) for actor, user in rows.all()}


async def counted_record(session: AsyncSession, actor: Actor) -> AccountRecord:
    user = await session.get(User, actor.user_id) if actor.user_id else None
    accepted = Follow.status == FollowState.ACCEPTED
    followers = await session.scalar(
        select(func.count(Follow.id)).where(Follow.following_id == actor.id, accepted)
    )
    following = await session.scalar(
        select(func.count(Follow.id)).where(Follow.follower_id == actor.id, accepted)
    )
    statuses = await session.scalar(
        select(func.count(ApObject.id)).where(
            ApObject.actor_id == actor.id, ApObject.deleted_at.is_(None), ApObject.type == "Note"
        )
    )
    counts = (int(followers or 0), int(following or 0), int(statuses or 0))
    return account_record(actor, user, counts)


async def get_account(session: AsyncSession, account_id: int) -> AccountRecord:
    actor = await session.get(Actor, account_id)
    if actor is None or actor.deleted_at is not None:
        raise NotVisible()
    return await counted_record(session, actor)


async def find_actor(session: AsyncSession, settings: Settings, handle: str) -> Actor | None:
    """The actor we know by this handle (ours, or cached), without asking anyone."""
    user, host = parse_handle(handle)
    if host is None or host == local_domain(settings):
        member = await session.scalar(
            select(Actor)
            .join(User, Actor.user_id == User.id)
            .where(func.lower(User.username) == user.lower(), Actor.deleted_at.is_(None))
        )
        if member is not None or host is None:
            return member
    return await session.scalar(
        select(Actor).where(
            func.lower(Actor.preferred_username) == user.lower(),
            func.lower(Actor.domain) == (host or "").lower(),
            Actor.deleted_at.is_(None),
        )
    )


async def lookup_account(session: AsyncSession, settings: Settings, handle: str) -> AccountRecord:
    actor = await find_actor(session, settings, handle)
    if actor is None:
        raise NotVisible()
    return await counted_record(session, actor)


async def _webfinger(client: FederationClient, settings: Settings, user: str, host: str) -> str:
    """The actor id WebFinger gives for user@host. https; plain http only toward the
    networks the settings open for dev and tests (a stand-in or the herd on loopback)."""
    schemes = ["https"] + (["http"] if settings.activitypub.fetch_allow_networks else [])
    resource = quote(f"acct:{user}@{host}", safe=":@")
    last: Exception | None = None
    for scheme in schemes:
        url = f"{scheme}://{host}/.well-known/webfinger?resource={resource}"
        try:
            document = await client.get_json(url, None)
        except FetchError as exc:
            last = exc
            continue
        for link in document.get("links") or []:
            kind = str(link.get("type", "")) if isinstance(link, dict) else ""
            if (
                isinstance(link, dict)
                and link.get("rel") == "self"
                and ("activity+json" in kind or "ld+json" in kind)
                and isinstance(link.get("href"), str)
            ):
                return str(link["href"])
        raise SocialError(f"@{user}@{host} has no ActivityPub actor", 404)
    raise SocialError(f"could not look up @{user}@{host}: {last}", 404)


async def resolve_account(
    session: AsyncSession, settings: Settings, client: FederationClient, handle: str
) -> AccountRecord:
    """The account of `handle`: ours or cached, else looked up by WebFinger on its
    server and its actor fetched (signed) and cached."""
    known = await find_actor(session, settings, handle)
    if known is not None:
        return await counted_record(session, known)
    user, host = parse_handle(handle)
    if host is None:
        raise NotVisible()
    actor_id = await _webfinger(client, settings, user, host)
    try:
        actor = await RemoteActors(session, settings, client).actor(actor_id)
    except RemoteActorError as exc:
        raise SocialError(f"could not fetch @{user}@{host}: {exc}", 404) from None
    return await counted_record(session, actor)
