"""Timelines: the local one (our members' public notes, the social hub's front page) and a
member's home timeline (what inbound handling fanned out to them)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import NoteSummary
from shared.infrastructure.html import sanitize_html
from shared.models.activitypub import Actor, ApObject, TimelineEntry


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
            ApObject.actor.has(Actor.kind == "member"),
            ApObject.visibility == "public",
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
