"""Inboxes: store what arrived (once per activity id and recipient), process it later.

The route verifies and stores synchronously, answers 202, then processes in
a background task of the app; the EventProcessor picks up whatever an app
did not get to (it crashed, or `inbox_background` is off). Claiming is an
atomic status change, so a row is processed by one of them only.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.infrastructure.activitypub.handlers import HANDLERS, Context
from shared.infrastructure.activitypub.http import FederationClient
from shared.infrastructure.activitypub.outbox import notify
from shared.infrastructure.activitypub.remote import RemoteActors, first_id
from shared.infrastructure.config import Settings
from shared.models.activitypub import Activity, Actor

log = logging.getLogger(__name__)
STALE_CLAIM = "5 minutes"


class InboxError(Exception):
    """The activity is unusable (400) or not the signer's own (401); `status` says which."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def check_activity(activity: Any, signer: Actor) -> dict[str, Any]:
    """The activity if it is well formed and its actor is the signer; InboxError otherwise."""
    if not isinstance(activity, dict) or not isinstance(activity.get("type"), str):
        raise InboxError("the body is not an activity")
    if not isinstance(activity.get("id"), str) or not activity["id"].startswith("http"):
        raise InboxError("the activity has no id")
    actor = first_id(activity.get("actor"))
    if actor != signer.ap_id:
        raise InboxError(f"signed by {signer.ap_id} but the actor is {actor}", status=401)
    return activity


async def store_inbound(
    session: AsyncSession, signer: Actor, recipient: Actor | None, activity: dict[str, Any]
) -> int | None:
    """Record the activity for `recipient` (None: the shared inbox); its row id, or None
    when this copy was stored before (a redelivery)."""
    target = activity.get("object")
    statement = (
        insert(Activity)
        .values(
            ap_id=activity["id"][:2048],
            direction="inbound",
            type=activity["type"][:30],
            actor_id=signer.id,
            recipient_id=recipient.id if recipient else None,
            object_ap_id=(first_id(target) or "")[:2048] or None,
            payload=activity,
            status="pending",
        )
        .on_conflict_do_nothing(
            index_elements=[
                Activity.ap_id,
                Activity.direction,
                # The unique index's expression, literally: a bound 0 would not match it.
                text("coalesce(recipient_id, 0)"),
            ]
        )
        .returning(Activity.id)
    )
    stored = (await session.execute(statement)).scalar_one_or_none()
    if stored is not None:
        await notify(session, "inbound")
    return stored


async def claim_inbound(session: AsyncSession, activity_id: int) -> Activity | None:
    row = await session.scalar(
        update(Activity)
        .where(
            Activity.id == activity_id,
            Activity.direction == "inbound",
            or_(
                Activity.status == "pending",
                (Activity.status == "processing")
                & (Activity.claimed_at < func.now() - text(f"interval '{STALE_CLAIM}'")),
            ),
        )
        .values(status="processing", claimed_at=func.now(), attempts=Activity.attempts + 1)
        .returning(Activity)
    )
    return row


async def process_inbound(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    client: FederationClient | None,
    activity_id: int,
) -> str:
    """Claim and handle one stored activity; its final status ("done", "failed") or
    "skipped" when someone else has it."""
    async with sessions() as session:
        async with session.begin():
            row = await claim_inbound(session, activity_id)
        if row is None:
            return "skipped"
        try:
            async with session.begin():
                sender = await session.get(Actor, row.actor_id)
                assert sender is not None
                remote = RemoteActors(session, settings, client) if client else None
                handler = HANDLERS.get(row.type)
                if handler is not None:
                    await handler(Context(session, settings, remote, sender, dict(row.payload)))
                await _finish(session, row.id, "done", None)
            return "done"
        except Exception as exc:
            log.exception("processing inbound activity %s (%s) failed", row.ap_id, row.type)
            async with session.begin():
                await _finish(session, row.id, "failed", f"{type(exc).__name__}: {exc}"[:2000])
            return "failed"


async def _finish(session: AsyncSession, activity_id: int, status: str, error: str | None) -> None:
    await session.execute(
        update(Activity)
        .where(Activity.id == activity_id)
        .values(status=status, last_error=error, processed_at=datetime.now(UTC))
    )


async def pending_inbound(
    session: AsyncSession, *, older_than_seconds: float, limit: int
) -> list[int]:
    """Inbound rows nobody is processing (or whose processor died), oldest first."""
    rows = await session.scalars(
        select(Activity.id)
        .where(
            Activity.direction == "inbound",
            or_(
                (Activity.status == "pending")
                & (
                    Activity.created_at <= datetime.now(UTC) - timedelta(seconds=older_than_seconds)
                ),
                (Activity.status == "processing")
                & (Activity.claimed_at < func.now() - text(f"interval '{STALE_CLAIM}'")),
            ),
        )
        .order_by(Activity.id)
        .limit(limit)
    )
    return list(rows)
