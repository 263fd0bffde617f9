"""Timelines: home (what was fanned out to a member: inbound handling and our own
members' posts), local (our members' public posts), the federated public one, a
hashtag's, an account's, and a status's thread. Pages are keyset-paged newest first
(`max_id` / `min_id`, as Mastodon's API pages), on indexes: home by timeline entry id
(`ix_ap_timeline_entries_user_id_id`), the others by status id."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import NoteSummary
from shared.contracts.social import StatusContext, StatusRecord, TimelinePage
from shared.infrastructure.html import sanitize_html
from shared.models.activitypub import (
    Actor,
    ActorKind,
    ApObject,
    ObjectTag,
    TimelineEntry,
    Visibility,
)
from shared.services.social import statuses


def _summary(note: ApObject) -> NoteSummary:
    return NoteSummary(
        ap_id=note.ap_id,
        author_name=note.actor.display_name or note.actor.preferred_username,
        author_handle=f"@{note.actor.preferred_username}@{note.actor.domain}",
        author_icon=note.actor.icon_url,
        # Stored content is sanitized on the way in; this is defence in depth.
        content_html=sanitize_html(note.content_html),
        url=note.url,
        published_at=note.published_at,
    )


async def list_local_timeline(session: AsyncSession, *, limit: int = 20) -> list[NoteSummary]:
    notes = await session.scalars(
        select(ApObject)
        .where(
            ApObject.is_local.is_(True),
            ApObject.type == "Note",
            # Market listings are Notes too, by the market's actor: members' only here.
            ApObject.actor.has(Actor.kind == ActorKind.MEMBER),
            ApObject.visibility == Visibility.PUBLIC,
            ApObject.deleted_at.is_(None),
        )
        .order_by(ApObject.published_at.desc(), ApObject.id.desc())
        .limit(limit)
    )
    return [_summary(note) for note in notes.unique()]


async def list_home_timeline(
    session: AsyncSession, member_id: int, *, limit: int = 20
) -> list[NoteSummary]:
    notes = await session.scalars(
        select(ApObject)
        .join(TimelineEntry, TimelineEntry.object_id == ApObject.id)
        .where(TimelineEntry.user_id == member_id, ApObject.deleted_at.is_(None))
        .order_by(TimelineEntry.created_at.desc(), TimelineEntry.id.desc())
        .limit(limit)
    )
    return [_summary(note) for note in notes.unique()]


# -- pages for the hub and the client API (keyset: newest first, by id) ------------------

MAX_PAGE = 40


def _window(query: Any, column: Any, max_id: int | None, min_id: int | None, limit: int) -> Any:
    if max_id is not None:
        query = query.where(column < max_id)
    if min_id is not None:
        # Newer than min_id: the page right above it, still shown newest first.
        return query.where(column > min_id).order_by(column.asc()).limit(limit)
    return query.order_by(column.desc()).limit(limit)


def _page(items: list[StatusRecord], limit: int) -> TimelinePage:
    items.sort(key=lambda s: s.cursor, reverse=True)
    return TimelinePage(
        items=tuple(items),
        next_max_id=items[-1].cursor if len(items) == limit else None,
        prev_min_id=items[0].cursor if items else None,
    )


def _limit(limit: int) -> int:
    return max(1, min(limit, MAX_PAGE))


async def home_page(
    session: AsyncSession,
    member_id: int,
    *,
    max_id: int | None = None,
    min_id: int | None = None,
    limit: int = 20,
) -> TimelinePage:
    """What reached the member's home timeline, by timeline entry id: the posts and
    boosts of those they follow, and their own; muted and blocked accounts left out."""
    limit = _limit(limit)
    viewer = await statuses.viewer_actor(session, member_id)
    query = (
        select(TimelineEntry.id, TimelineEntry.object_id, TimelineEntry.boosted_by_id)
        .join(ApObject, ApObject.id == TimelineEntry.object_id)
        .where(
            TimelineEntry.user_id == member_id,
            ApObject.deleted_at.is_(None),
            statuses.not_hidden_from(member_id, ApObject.actor_id),
            or_(
                TimelineEntry.boosted_by_id.is_(None),
                statuses.not_hidden_from(member_id, TimelineEntry.boosted_by_id),
            ),
        )
    )
    entries = (await session.execute(_window(query, TimelineEntry.id, max_id, min_id, limit))).all()
    objects = {
        o.id: o
        for o in (
            await session.scalars(select(ApObject).where(ApObject.id.in_([e[1] for e in entries])))
        ).unique()
    }
    rows = [(objects[oid], eid, by) for eid, oid, by in entries if oid in objects]
    return _page(await statuses.build(session, viewer, rows), limit)


async def public_page(
    session: AsyncSession,
    member_id: int | None,
    *,
    local: bool = False,
    tag: str | None = None,
    max_id: int | None = None,
    min_id: int | None = None,
    limit: int = 20,
) -> TimelinePage:
    """Public statuses by status id: every one we know, only our members' (`local`), or
    those with a hashtag (`tag`, without '#'); muted and blocked accounts left out."""
    limit = _limit(limit)
    viewer = await statuses.viewer_actor(session, member_id)
    query = statuses.public_statuses().where(
        statuses.not_hidden_from(member_id, ApObject.actor_id), ApObject.type == "Note"
    )
    if local:
        query = query.where(
            ApObject.is_local.is_(True), ApObject.actor.has(Actor.kind == ActorKind.MEMBER)
        )
    if tag is not None:
        tagged = select(ObjectTag.object_id).where(ObjectTag.tag == tag.lower().lstrip("#"))
        query = query.where(ApObject.id.in_(tagged))
    found = list(
        (await session.scalars(_window(query, ApObject.id, max_id, min_id, limit))).unique()
    )
    return _page(await statuses.build(session, viewer, [(o, o.id, None) for o in found]), limit)


async def account_page(
    session: AsyncSession,
    member_id: int | None,
    account_id: int,
    *,
    max_id: int | None = None,
    min_id: int | None = None,
    limit: int = 20,
) -> TimelinePage:
    """The account's statuses the viewer may see, newest first (boosts not included)."""
    limit = _limit(limit)
    viewer = await statuses.viewer_actor(session, member_id)
    query = select(ApObject).where(
        ApObject.actor_id == account_id,
        ApObject.deleted_at.is_(None),
        ApObject.type.in_(statuses.STATUS_TYPES),
    )
    if viewer is None or viewer.id != account_id:
        query = query.where(ApObject.visibility.in_([Visibility.PUBLIC, Visibility.UNLISTED]))
    found = list(
        (await session.scalars(_window(query, ApObject.id, max_id, min_id, limit))).unique()
    )
    return _page(await statuses.build(session, viewer, [(o, o.id, None) for o in found]), limit)


async def get_status(session: AsyncSession, member_id: int | None, status_id: int) -> StatusRecord:
    viewer = await statuses.viewer_actor(session, member_id)
    return await statuses.one(
        session, viewer, await statuses.get_visible(session, viewer, status_id)
    )


async def get_context(
    session: AsyncSession, member_id: int | None, status_id: int
) -> StatusContext:
    """The thread around a status: its ancestors (oldest first) and its replies, those
    the viewer may see."""
    viewer = await statuses.viewer_actor(session, member_id)
    obj = await statuses.get_visible(session, viewer, status_id)
    ancestors: list[ApObject] = []
    parent_id = obj.in_reply_to
    while parent_id and len(ancestors) < 40:
        parent = await session.scalar(select(ApObject).where(ApObject.ap_id == parent_id))
        if parent is None or not await statuses.can_see(session, viewer, parent):
            break
        ancestors.insert(0, parent)
        parent_id = parent.in_reply_to
    descendants: list[ApObject] = []
    frontier = [obj.ap_id]
    while frontier and len(descendants) < 60:
        replies = list(
            (
                await session.scalars(
                    select(ApObject).where(ApObject.in_reply_to.in_(frontier)).order_by(ApObject.id)
                )
            ).unique()
        )
        visible = [r for r in replies if await statuses.can_see(session, viewer, r)]
        descendants.extend(visible)
        frontier = [r.ap_id for r in visible]
    return StatusContext(
        ancestors=tuple(
            await statuses.build(session, viewer, [(o, o.id, None) for o in ancestors])
        ),
        descendants=tuple(
            await statuses.build(session, viewer, [(o, o.id, None) for o in descendants])
        ),
    )
