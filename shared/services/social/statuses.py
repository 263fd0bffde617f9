"""Statuses as a viewer sees them: who may see what, and records built in a few queries
for a whole page (counts, the viewer's favourites and boosts, reply targets).

Visibility follows Mastodon: public and unlisted for everyone; followers-only for the
author, accepted followers and those it mentions; direct for the author and those it
mentions. What a member blocked or muted is hidden from them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.social import MediaAttachment, NotVisible, StatusRecord
from shared.infrastructure.activitypub.remote import first_id
from shared.infrastructure.html import sanitize_html
from shared.models.activitypub import (
    AccountBlock,
    Actor,
    ApObject,
    Follow,
    FollowState,
    ObjectTag,
    Reaction,
    ReactionKind,
    Visibility,
)
from shared.services.social.accounts import records

STATUS_TYPES = ("Note", "Article", "Question", "Page", "Event")


async def viewer_actor(session: AsyncSession, member_id: int | None) -> Actor | None:
    if member_id is None:
        return None
    return await session.scalar(select(Actor).where(Actor.user_id == member_id))


def mentioned(obj: ApObject) -> set[str]:
    """The actor ids an object addresses or mentions (to, cc and Mention tags)."""
    payload = obj.payload or {}
    found: set[str] = set()
    for name in ("to", "cc", "bto", "bcc"):
        value = payload.get(name)
        for item in value if isinstance(value, list) else [value]:
            if (ref := first_id(item)) is not None:
                found.add(ref)
    for tag in payload.get("tag") or []:
        ref = first_id(tag.get("href")) if isinstance(tag, dict) else None
        if ref is not None and tag.get("type") == "Mention":
            found.add(ref)
    return found


async def can_see(session: AsyncSession, viewer: Actor | None, obj: ApObject) -> bool:
    if obj.deleted_at is not None or obj.type not in STATUS_TYPES:
        return False
    if obj.visibility in (Visibility.PUBLIC, Visibility.UNLISTED):
        return viewer is None or not await is_hidden(session, viewer, obj.actor_id)
    if viewer is None:
        return False
    if viewer.id == obj.actor_id or viewer.ap_id in mentioned(obj):
        return True
    if obj.visibility == Visibility.FOLLOWERS:
        follows = await session.scalar(
            select(Follow.id).where(
                Follow.follower_id == viewer.id,
                Follow.following_id == obj.actor_id,
                Follow.status == FollowState.ACCEPTED,
            )
        )
        return follows is not None
    return False


async def is_hidden(session: AsyncSession, viewer: Actor, actor_id: int) -> bool:
    """Whether the viewer (a member) muted or blocked this actor."""
    if viewer.user_id is None:
        return False
    found = await session.scalar(
        select(AccountBlock.id).where(
            AccountBlock.user_id == viewer.user_id, AccountBlock.actor_id == actor_id
        )
    )
    return found is not None


def not_hidden_from(member_id: int | None, author: Any) -> Any:
    """A WHERE clause: the author (a column of actor ids) is not muted or blocked by the
    member (true for visitors)."""
    if member_id is None:
        return and_(True)
    hidden = select(AccountBlock.actor_id).where(AccountBlock.user_id == member_id)
    return author.not_in(hidden)


async def get_visible(session: AsyncSession, viewer: Actor | None, status_id: int) -> ApObject:
    obj = await session.get(ApObject, status_id)
    if obj is None or not await can_see(session, viewer, obj):
        raise NotVisible()
    return obj


def _media(obj: ApObject) -> tuple[MediaAttachment, ...]:
    items = []
    for place, item in enumerate(obj.attachments or [], start=1):
        if isinstance(item, dict) and isinstance(item.get("url"), str):
            items.append(
                MediaAttachment(
                    url=item["url"],
                    alt=str(item.get("alt") or ""),
                    media_type=str(item.get("media_type") or "image/jpeg"),
                    width=item.get("width") if isinstance(item.get("width"), int) else None,
                    height=item.get("height") if isinstance(item.get("height"), int) else None,
                    id=obj.id * 10 + place,
                )
            )
    return tuple(items)


async def build(
    session: AsyncSession,
    viewer: Actor | None,
    rows: Sequence[tuple[ApObject, int, int | None]],
) -> list[StatusRecord]:
    """Records of (object, cursor, boosted by) rows, in their order."""
    if not rows:
        return []
    ids = [obj.id for obj, _, _ in rows]
    parents = {obj.in_reply_to for obj, _, _ in rows if obj.in_reply_to}
    parent_rows = (
        await session.execute(
            select(ApObject.ap_id, ApObject.id, ApObject.actor_id).where(
                ApObject.ap_id.in_(parents)
            )
        )
        if parents
        else None
    )
    parent_of = {
        ap_id: (pk, actor) for ap_id, pk, actor in (parent_rows.all() if parent_rows else [])
    }
    counts: dict[tuple[int, str], int] = {}
    for object_id, kind, count in await session.execute(
        select(Reaction.object_id, Reaction.kind, func.count(Reaction.id))
        .where(Reaction.object_id.in_(ids))
        .group_by(Reaction.object_id, Reaction.kind)
    ):
        counts[(object_id, kind)] = count
    mine: set[tuple[int, str]] = set()
    if viewer is not None:
        mine = {
            (object_id, kind)
            for object_id, kind in await session.execute(
                select(Reaction.object_id, Reaction.kind).where(
                    Reaction.object_id.in_(ids), Reaction.actor_id == viewer.id
                )
            )
        }
    ap_ids = [obj.ap_id for obj, _, _ in rows]
    replies = dict(
        (
            await session.execute(
                select(ApObject.in_reply_to, func.count(ApObject.id))
                .where(ApObject.in_reply_to.in_(ap_ids), ApObject.deleted_at.is_(None))
                .group_by(ApObject.in_reply_to)
            )
        ).all()
    )
    tags: dict[int, list[str]] = {}
    for object_id, tag in await session.execute(
        select(ObjectTag.object_id, ObjectTag.tag).where(ObjectTag.object_id.in_(ids))
    ):
        tags.setdefault(object_id, []).append(tag)
    people = {obj.actor_id for obj, _, _ in rows} | {b for _, _, b in rows if b}
    accounts = await records(session, people)
    mention_ids = {ref for obj, _, _ in rows for ref in _mention_hrefs(obj)}
    mentioned_accounts = {}
    if mention_ids:
        found = await session.execute(
            select(Actor.ap_id, Actor.id).where(Actor.ap_id.in_(mention_ids))
        )
        by_ap = dict(found.all())
        resolved = await records(session, by_ap.values())
        mentioned_accounts = {ap: resolved[pk] for ap, pk in by_ap.items() if pk in resolved}
    built = []
    for obj, cursor, boosted_by in rows:
        parent = parent_of.get(obj.in_reply_to or "")
        built.append(
            StatusRecord(
                id=obj.id,
                ap_id=obj.ap_id,
                url=obj.url or obj.ap_id,
                account=accounts[obj.actor_id],
                content_html=sanitize_html(obj.content_html),
                spoiler_text=_plain(obj.summary),
                visibility=obj.visibility,
                language=obj.language,
                created_at=obj.published_at,
                edited_at=obj.updated_at,
                in_reply_to_id=parent[0] if parent else None,
                in_reply_to_account_id=parent[1] if parent else None,
                media=_media(obj),
                tags=tuple(sorted(tags.get(obj.id, []))),
                mentions=tuple(
                    mentioned_accounts[ref]
                    for ref in _mention_hrefs(obj)
                    if ref in mentioned_accounts
                ),
                favourites_count=counts.get((obj.id, ReactionKind.LIKE), 0),
                reblogs_count=counts.get((obj.id, ReactionKind.ANNOUNCE), 0),
                replies_count=int(replies.get(obj.ap_id, 0)),
                favourited=(obj.id, ReactionKind.LIKE) in mine,
                reblogged=(obj.id, ReactionKind.ANNOUNCE) in mine,
                boosted_by=accounts.get(boosted_by) if boosted_by else None,
                cursor=cursor,
                source=obj.source if viewer is not None and viewer.id == obj.actor_id else None,
            )
        )
    return built


def _mention_hrefs(obj: ApObject) -> list[str]:
    hrefs = []
    for tag in (obj.payload or {}).get("tag") or []:
        if isinstance(tag, dict) and tag.get("type") == "Mention":
            ref = first_id(tag.get("href"))
            if ref and ref not in hrefs:
                hrefs.append(ref)
    return hrefs


def _plain(summary: str | None) -> str:
    """A content warning as text: remote summaries arrive as (sanitized) HTML."""
    if not summary:
        return ""
    return html.unescape(re.sub(r"<[^>]+>", "", summary)).strip()


async def one(session: AsyncSession, viewer: Actor | None, obj: ApObject) -> StatusRecord:
    [record] = await build(session, viewer, [(obj, obj.id, None)])
    return record


def public_statuses() -> Select[Any]:
    """Live public statuses (the public, local and hashtag timelines' base)."""
    return select(ApObject).where(
        ApObject.visibility == Visibility.PUBLIC,
        ApObject.deleted_at.is_(None),
        ApObject.type.in_(STATUS_TYPES),
    )
