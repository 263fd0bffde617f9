"""Composing: a member's status (text with mentions, hashtags and links; visibility; a
content warning; up to four images; language; a reply), edited (`Update`) or deleted
(`Delete`). Each writes the object and its activity in the caller's transaction; the
worker delivers it. Our own members see it at once: the status goes into the home
timelines of the author, of local followers and of the local members it mentions, who
are notified here (the inbound copy of a local object changes nothing).
"""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.social import (
    MAX_MEDIA,
    MAX_SPOILER_CHARS,
    MAX_STATUS_CHARS,
    NewStatus,
    NotVisible,
    SocialError,
    StatusRecord,
)
from shared.infrastructure.activitypub.actors import PUBLIC, absolute_url
from shared.infrastructure.activitypub.outbox import CONTEXT, enqueue_activity, iso
from shared.infrastructure.config import Settings
from shared.models.activitypub import (
    Actor,
    ActorKind,
    ApObject,
    Follow,
    FollowState,
    NotificationKind,
    ObjectTag,
    TimelineEntry,
    Visibility,
)
from shared.services.social import statuses
from shared.services.social.accounts import find_actor
from shared.services.social.notify import notify

TOKENS = re.compile(
    r"(?P<url>https?://[^\s<]+[^\s<.,;:!?)\]'\"])"
    r"|(?<![\w/])(?P<mention>@[\w.\-]+(?:@[\w.\-]+(?::\d+)?)?)"
    r"|(?<![\w&/])#(?P<tag>\w{1,100})"
)
LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$")


def hashtags(text: str) -> list[str]:
    return list(dict.fromkeys(m["tag"].lower() for m in TOKENS.finditer(text) if m["tag"]))


def mention_handles(text: str) -> list[str]:
    return list(dict.fromkeys(m["mention"] for m in TOKENS.finditer(text) if m["mention"]))


def render(text: str, mentions: dict[str, Actor], tag_base: str) -> str:
    """The member's text as HTML: escaped, paragraphs and line breaks kept, links,
    known mentions and hashtags linked the way Mastodon marks them up."""

    def token(match: re.Match[str]) -> str:
        if match["url"]:
            url = html.escape(match["url"])
            return f'<a href="{url}" rel="nofollow noopener noreferrer" target="_blank">{url}</a>'
        if match["mention"]:
            actor = mentions.get(match["mention"].lower())
            if actor is None:
                return html.escape(match["mention"])
            href = html.escape(actor.url or actor.ap_id)
            name = html.escape(actor.preferred_username)
            return (
                f'<span class="h-card"><a href="{href}" class="u-url mention">'
                f"@<span>{name}</span></a></span>"
            )
        tag = match["tag"]
        href = html.escape(f"{tag_base}/tags/{tag.lower()}")
        name = html.escape(tag)
        return f'<a href="{href}" class="mention hashtag" rel="tag">#<span>{name}</span></a>'

    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    rendered = []
    for paragraph in paragraphs:
        parts, last = [], 0
        for match in TOKENS.finditer(paragraph):
            parts.append(html.escape(paragraph[last : match.start()]))
            parts.append(token(match))
            last = match.end()
        parts.append(html.escape(paragraph[last:]))
        rendered.append("<p>" + "".join(parts).replace("\n", "<br>") + "</p>")
    return "".join(rendered)


def check(new: NewStatus) -> None:
    """SocialError (422) naming what is wrong, as Mastodon's validation says it."""
    if new.visibility not in tuple(Visibility):
        raise SocialError(
            f"Validation failed: Visibility {new.visibility!r} is not one of "
            f"{', '.join(Visibility)}"
        )
    if not new.text.strip() and not new.media:
        raise SocialError("Validation failed: Text can't be blank")
    if len(new.text) > MAX_STATUS_CHARS:
        raise SocialError(f"Validation failed: Text character limit of {MAX_STATUS_CHARS} exceeded")
    if len(new.spoiler_text) > MAX_SPOILER_CHARS:
        raise SocialError(
            f"Validation failed: Content warning character limit of {MAX_SPOILER_CHARS} exceeded"
        )
    if len(new.media) > MAX_MEDIA:
        raise SocialError(f"Validation failed: Attach at most {MAX_MEDIA} images")
    if new.language is not None and not LANGUAGE.match(new.language):
        raise SocialError(f"Validation failed: Language {new.language!r} is not a language code")


async def _author(session: AsyncSession, member_id: int) -> Actor:
    actor = await statuses.viewer_actor(session, member_id)
    if actor is None or actor.kind != ActorKind.MEMBER:
        raise SocialError("You have no social account yet", 403)
    return actor


async def _mentions(session: AsyncSession, settings: Settings, text: str) -> dict[str, Actor]:
    found: dict[str, Actor] = {}
    for handle in mention_handles(text):
        try:
            actor = await find_actor(session, settings, handle)
        except SocialError:
            continue
        if actor is not None:
            found[handle.lower()] = actor
    return found


def _addressing(author: Actor, visibility: str, mentioned: list[str]) -> dict[str, list[str]]:
    followers = author.followers_url or f"{author.ap_id}/followers"
    if visibility == Visibility.PUBLIC:
        return {"to": [PUBLIC], "cc": [followers, *mentioned]}
    if visibility == Visibility.UNLISTED:
        return {"to": [followers], "cc": [PUBLIC, *mentioned]}
    if visibility == Visibility.FOLLOWERS:
        return {"to": [followers], "cc": mentioned}
    return {"to": mentioned, "cc": []}


def _document(
    settings: Settings,
    author: Actor,
    obj: ApObject,
    new: NewStatus,
    mentions: dict[str, Actor],
    parent: ApObject | None,
) -> dict[str, Any]:
    base = settings.apps["federation"].base_url
    mentioned = list(dict.fromkeys(a.ap_id for a in mentions.values()))
    if parent is not None and parent.actor.ap_id not in mentioned and parent.actor_id != author.id:
        mentioned.append(parent.actor.ap_id)
    document: dict[str, Any] = {
        "id": obj.ap_id,
        "type": "Note",
        "attributedTo": author.ap_id,
        "content": obj.content_html,
        "url": obj.url,
        "published": iso(obj.published_at),
        "sensitive": bool(new.spoiler_text),
        "summary": new.spoiler_text or None,
        "inReplyTo": parent.ap_id if parent is not None else None,
        **_addressing(author, new.visibility, mentioned),
        "tag": [
            *(
                {"type": "Mention", "href": a.ap_id, "name": f"@{a.preferred_username}@{a.domain}"}
                for a in mentions.values()
            ),
            *(
                {"type": "Hashtag", "href": f"{base}/tags/{t}", "name": f"#{t}"}
                for t in hashtags(new.text)
            ),
        ],
        "attachment": [
            {
                "type": "Document",
                "mediaType": m.media_type,
                "url": absolute_url(base + "/", m.url),
                "name": m.alt or None,
                **({"width": m.width, "height": m.height} if m.width and m.height else {}),
            }
            for m in new.media
        ],
    }
    if new.language:
        document["contentMap"] = {new.language: obj.content_html}
    if obj.updated_at is not None:
        document["updated"] = iso(obj.updated_at)
    return document


async def _fill(
    session: AsyncSession,
    settings: Settings,
    author: Actor,
    obj: ApObject,
    new: NewStatus,
    parent: ApObject | None,
) -> dict[str, Actor]:
    mentions = await _mentions(session, settings, new.text)
    base = settings.apps["federation"].base_url
    obj.content_html = render(new.text, mentions, base)
    obj.summary = new.spoiler_text or None
    obj.source = new.text
    obj.language = new.language
    obj.visibility = new.visibility
    obj.in_reply_to = parent.ap_id if parent is not None else None
    obj.attachments = [
        {
            "url": m.url,
            "alt": m.alt,
            "media_type": m.media_type,
            "width": m.width,
            "height": m.height,
        }
        for m in new.media
    ]
    await session.flush()
    obj.payload = {"@context": CONTEXT, **_document(settings, author, obj, new, mentions, parent)}
    await session.execute(delete(ObjectTag).where(ObjectTag.object_id == obj.id))
    tags = hashtags(new.text)
    if tags:
        await session.execute(
            insert(ObjectTag).values([{"object_id": obj.id, "tag": t} for t in tags])
        )
    return mentions


async def _activity(session: AsyncSession, author: Actor, verb: str, obj: ApObject) -> None:
    document = dict(obj.payload)
    document.pop("@context", None)
    addressing = {k: document.get(k) or [] for k in ("to", "cc")}
    await enqueue_activity(
        session,
        author,
        {
            "@context": CONTEXT,
            "type": verb,
            "object": document,
            "published": iso(datetime.now(UTC)),
            **addressing,
        },
    )


async def _reach_locally(
    session: AsyncSession,
    author: Actor,
    obj: ApObject,
    mentions: dict[str, Actor],
    parent: ApObject | None,
) -> None:
    users: set[int] = {author.user_id} if author.user_id else set()
    if obj.visibility != Visibility.DIRECT:
        followers = await session.scalars(
            select(Actor.user_id)
            .join(Follow, Follow.follower_id == Actor.id)
            .where(
                Follow.following_id == author.id,
                Follow.status == FollowState.ACCEPTED,
                Actor.user_id.is_not(None),
            )
        )
        users.update(u for u in followers if u is not None)
    local_mentioned = {a.user_id for a in mentions.values() if a.user_id}
    users.update(u for u in local_mentioned if u is not None)
    if users:
        await session.execute(
            insert(TimelineEntry)
            .values([{"user_id": u, "object_id": obj.id} for u in users])
            .on_conflict_do_nothing()
        )
    notified: set[int] = set()
    if parent is not None and parent.actor.user_id and parent.actor_id != author.id:
        await notify(session, parent.actor.user_id, NotificationKind.REPLY, author.id, obj.id)
        notified.add(parent.actor.user_id)
    for user_id in local_mentioned:
        if user_id and user_id != author.user_id and user_id not in notified:
            await notify(session, user_id, NotificationKind.MENTION, author.id, obj.id)
    await session.flush()


async def create_status(
    session: AsyncSession, settings: Settings, member_id: int, new: NewStatus
) -> StatusRecord:
    check(new)
    author = await _author(session, member_id)
    parent = None
    if new.in_reply_to_id is not None:
        try:
            parent = await statuses.get_visible(session, author, new.in_reply_to_id)
        except NotVisible:
            raise SocialError(
                "Validation failed: the status you reply to is not there", 404
            ) from None
    now = datetime.now(UTC)
    base = settings.apps["federation"].base_url
    obj = ApObject(
        ap_id=f"{author.ap_id}/notes/{uuid.uuid4()}",
        type="Note",
        actor_id=author.id,
        is_local=True,
        published_at=now,
    )
    session.add(obj)
    await session.flush()
    obj.url = f"{base}/@{author.preferred_username}/{obj.id}"
    mentions = await _fill(session, settings, author, obj, new, parent)
    await _activity(session, author, "Create", obj)
    await _reach_locally(session, author, obj, mentions, parent)
    return await statuses.one(session, author, obj)


async def _own(session: AsyncSession, member_id: int, status_id: int) -> tuple[Actor, ApObject]:
    author = await _author(session, member_id)
    obj = await session.get(ApObject, status_id)
    if obj is None or obj.deleted_at is not None or obj.actor_id != author.id:
        raise NotVisible()
    return author, obj


async def edit_status(
    session: AsyncSession, settings: Settings, member_id: int, status_id: int, new: NewStatus
) -> StatusRecord:
    """The member's own status with new text, warning, images or language (its
    visibility and reply target stay); an Update goes to whoever got it."""
    check(new)
    author, obj = await _own(session, member_id, status_id)
    parent = None
    if obj.in_reply_to:
        parent = await session.scalar(select(ApObject).where(ApObject.ap_id == obj.in_reply_to))
    kept = NewStatus(new.text, obj.visibility, new.spoiler_text, new.language, None, new.media)
    obj.updated_at = datetime.now(UTC)
    mentions = await _fill(session, settings, author, obj, kept, parent)
    await _activity(session, author, "Update", obj)
    await _reach_locally(session, author, obj, mentions, None)
    return await statuses.one(session, author, obj)


async def delete_status(session: AsyncSession, member_id: int, status_id: int) -> StatusRecord:
    """Delete the member's own status: a Tombstone from now on, and a Delete to whoever
    got it; gone from every timeline here. The record of what it was comes back."""
    author, obj = await _own(session, member_id, status_id)
    record = await statuses.one(session, author, obj)
    addressing = {k: list(obj.payload.get(k) or []) for k in ("to", "cc")}
    obj.deleted_at = datetime.now(UTC)
    await session.execute(delete(TimelineEntry).where(TimelineEntry.object_id == obj.id))
    await enqueue_activity(
        session,
        author,
        {
            "@context": CONTEXT,
            "type": "Delete",
            "object": {"id": obj.ap_id, "type": "Tombstone", "formerType": "Note"},
            **addressing,
        },
    )
    return record
